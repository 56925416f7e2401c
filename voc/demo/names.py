"""Invented names for the demo's accounts and people. Any likeness to a real company is a coincidence."""

# Five accounts of $1–5M ARR and three of $250–900k: the large accounts that each raise one intent.
ENTERPRISE_COMPANIES = [
    "Northwind Logistics",
    "Globex Retail Group",
    "Meridian Health Systems",
    "Atlas Freight International",
    "Helios Energy Partners",
]
LARGE_COMPANIES = ["Crestline Insurance", "Ironbridge Capital", "Bluewater Hotels"]
MID_MARKET_COMPANIES = [
    "Harborview Dental Group",
    "Summit Outdoor Co",
    "Lumen Architecture",
    "Copperleaf Foods",
    "Riverbend Property Management",
    "Kestrel Aviation Services",
    "Oakridge Veterinary",
    "Brightpath Tutoring",
    "Granite Peak Builders",
    "Saltmarsh Seafood Traders",
    "Violet Hour Events",
    "Foxglove Pharmacy",
    "Tidewater Marine Supply",
    "Orchard Lane Grocers",
]
SMALL_COMPANIES = [
    "Little Fern Bakery",
    "Hollow Oak Coffee",
    "Paper Kite Press",
    "Moss & Stone Landscaping",
    "Juniper Yoga",
    "Bright Spark Electrical",
    "Tandem Bike Works",
    "Nimbus Web Design",
    "Blue Heron Books",
    "Quill & Ink Stationery",
    "Marigold Florist",
    "Cobalt Print Shop",
    "Wildflower Catering",
    "Sundial Clockmakers",
    "Anchor Tattoo",
    "Clover Cleaning Co",
    "Driftwood Surf School",
    "Ember Pizza Kitchen",
    "Fable Toys",
    "Gull Rock Guesthouse",
    "Honeycomb Childcare",
    "Indigo Dye Works",
    "Jolly Roger Brewing",
    "Kindred Physio",
    "Lantern Photography",
    "Maple & Rye Barbers",
    "Nettle Tea Rooms",
    "Otter Creek Kayaks",
    "Pinecone Pottery",
    "Red Fox Removals",
    "Sparrow Translation",
    "Thistle Knitwear",
    "Umbra Lighting",
    "Velvet Moth Vintage",
]
LOUD_COMPANY = "Pebble Studio"
UNKNOWN_ARR_COMPANIES = ["Quarry Labs", "Tern Analytics"]
FREE_COMPANY = "Wren Collective"

FIRST_NAMES = [
    "Aisha", "Ben", "Carmen", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Liam",
    "Mei", "Nadia", "Oscar", "Priya", "Quentin", "Rosa", "Sam", "Tariq", "Uma", "Victor", "Wanjiru", "Xavier",
    "Yara", "Zoe", "Amir", "Bea", "Chloe", "Diego", "Emeka", "Freya", "Gustav", "Hana", "Ivan", "Julia",
    "Kofi", "Lena", "Mateo", "Noor",
]
LAST_NAMES = [
    "Adeyemi", "Bauer", "Castillo", "Dubois", "Eriksson", "Fischer", "Gupta", "Hughes", "Ito", "Jansen",
    "Kowalski", "Larsen", "Moreau", "Nakamura", "Okafor", "Petrov", "Quinn", "Rossi", "Silva", "Tanaka",
    "Usman", "Varga", "Walsh", "Xu", "Yilmaz", "Zhang", "Abbott", "Brennan", "Chen", "Delgado", "Evans",
    "Ferreira", "Gallagher", "Haddad", "Ibrahim", "Jovanovic", "Kaur", "Lindqvist", "Murphy", "Novak",
]
# Shared inboxes: an address at the company's domain that belongs to no known contact.
ROLE_MAILBOXES = ["finance", "accounts", "ops", "office", "hello", "admin", "payments"]
# For social handles nobody has linked to a contact.
HANDLE_WORDS = [
    "throwaway", "coffee", "night", "owl", "pixel", "river", "tired", "grumpy", "sunny", "quiet", "frugal",
    "urban", "retro", "lucky", "salty", "cosmic",
]
SALES_REPS = [("Dana Whitfield", "dana.whitfield"), ("Marcus Obi", "marcus.obi"), ("Sofia Lind", "sofia.lind")]
