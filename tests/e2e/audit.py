"""What every page must pass in the browser: it fits its window, and axe-core finds nothing serious in it."""

from axe_playwright_python.sync_playwright import Axe

# WCAG 2.1 A and AA rules only: axe's "best practice" rules are advice, not the bar the issue sets.
AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
}
BLOCKING_IMPACTS = ("serious", "critical")

# The page wider than its window, or any table, list, form or picture that runs past the window, scrolls
# sideways inside itself, or is cut by a box that scrolls or hides it (the admin's list scrolls inside its box,
# which hides columns as surely as the page scrolling would).
OVERFLOW_SCRIPT = """() => {
  const root = document.documentElement, window_width = root.clientWidth, found = [];
  const cuts = (element) => ['auto', 'scroll', 'hidden'].includes(getComputedStyle(element).overflowX);
  const named = (element) => element.tagName.toLowerCase() + (element.id ? '#' + element.id : '');
  if (root.scrollWidth > window_width + 1) {
    found.push(`the page is ${root.scrollWidth}px wide in a ${window_width}px window`);
  }
  for (const element of document.querySelectorAll('table, ul, ol, form, pre, svg, img')) {
    const box = element.parentElement, rect = element.getBoundingClientRect();
    if (!box || rect.width === 0) continue;
    if (rect.right > window_width + 1) {
      found.push(`${named(element)} ends at ${Math.round(rect.right)}px, past the ${window_width}px window`);
    } else if (element.clientWidth > 0 && element.scrollWidth > element.clientWidth + 1 && cuts(element)) {
      found.push(`${named(element)} scrolls sideways: ${element.scrollWidth}px in ${element.clientWidth}px`);
    } else if (box.scrollWidth > box.clientWidth + 1 && cuts(box)) {
      found.push(`${named(element)} is cut: ${box.scrollWidth}px in a ${box.clientWidth}px box`);
    }
  }
  return [...new Set(found)];
}"""

_axe = Axe()


def overflow(page) -> list[str]:
    return page.evaluate(OVERFLOW_SCRIPT)


def serious_violations(page) -> list[str]:
    response = _axe.run(page, options=AXE_OPTIONS).response
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']}, e.g. "
        + "; ".join(node["html"][:140] for node in violation["nodes"][:3])
        for violation in response["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def page_problems(page) -> list[str]:
    return overflow(page) + serious_violations(page)
