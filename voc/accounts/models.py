from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

# Addresses at these domains say nothing about the employer, so they never map an item to an account.
PUBLIC_EMAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "hotmail.com", "hotmail.co.uk",
        "outlook.com", "live.com", "msn.com", "icloud.com", "me.com", "mac.com", "aol.com",
        "proton.me", "protonmail.com", "gmx.com", "gmx.de", "web.de", "mail.com", "yandex.ru",
        "qq.com", "163.com", "zoho.com", "fastmail.com", "hey.com",
    }
)


class Account(models.Model):
    """A customer organisation."""

    class Tier(models.TextChoices):
        FREE = "free", "Free"
        STARTER = "starter", "Starter"
        GROWTH = "growth", "Growth"
        ENTERPRISE = "enterprise", "Enterprise"

    class Segment(models.TextChoices):
        SMB = "smb", "SMB"
        MID_MARKET = "mid_market", "Mid-market"
        ENTERPRISE = "enterprise", "Enterprise"

    class Lifecycle(models.TextChoices):
        PROSPECT = "prospect", "Prospect"
        TRIAL = "trial", "Trial"
        CUSTOMER = "customer", "Customer"
        CHURN_RISK = "churn_risk", "Churn risk"
        CHURNED = "churned", "Churned"

    name = models.CharField(max_length=200)
    # Unknown ARR (null) and zero ARR (a free account) are different facts and stay different.
    arr = models.DecimalField("ARR", max_digits=14, decimal_places=2, null=True, blank=True)
    arr_currency = models.CharField("ARR currency", max_length=3, default="USD")
    plan_tier = models.CharField(max_length=20, choices=Tier.choices, blank=True)
    segment = models.CharField(max_length=20, choices=Segment.choices, blank=True)
    region = models.CharField(max_length=50, blank=True)
    lifecycle_stage = models.CharField(max_length=20, choices=Lifecycle.choices, default=Lifecycle.CUSTOMER)
    crm_id = models.CharField("CRM id", max_length=100, null=True, blank=True, unique=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_accounts"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(Lower("name"), name="account_name_lower_idx")]

    def __str__(self):
        return self.name

    @property
    def email_domains(self) -> list[str]:
        return [d.domain for d in self.domains.all()]


class AccountDomain(models.Model):
    """An email domain that belongs to one account; a separate row so the lookup is an indexed equality."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self):
        return self.domain

    def save(self, *args, **kwargs):
        self.domain = normalise_domain(self.domain)
        super().save(*args, **kwargs)

    def clean(self):
        self.domain = normalise_domain(self.domain)
        if self.domain in PUBLIC_EMAIL_DOMAINS:
            raise ValidationError({"domain": f"{self.domain} is a public email provider, not a company domain."})


class Contact(models.Model):
    """A person who gives feedback, with the identities that lead back to them."""

    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts")
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(max_length=254, null=True, blank=True, unique=True)
    reddit_handle = models.CharField(max_length=100, null=True, blank=True, unique=True)
    twitter_handle = models.CharField("Twitter/X handle", max_length=100, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "email"]

    def __str__(self):
        return self.name or self.email or self.twitter_handle or self.reddit_handle or f"Contact {self.pk}"

    def save(self, *args, **kwargs):
        # Identities are stored normalised so that resolution is a plain indexed equality.
        self.email = normalise_email(self.email) or None
        self.reddit_handle = normalise_handle(self.reddit_handle) or None
        self.twitter_handle = normalise_handle(self.twitter_handle) or None
        super().save(*args, **kwargs)


def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


def normalise_domain(domain: str | None) -> str:
    return (domain or "").strip().lower().lstrip("@").rstrip(".")


def normalise_handle(handle: str | None) -> str:
    """'@Jane', 'u/jane' and '/u/Jane' all become 'jane'."""
    value = (handle or "").strip().lower()
    for prefix in ("/u/", "u/", "@"):
        if value.startswith(prefix):
            value = value[len(prefix):]
    return value
