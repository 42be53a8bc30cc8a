"""The Tailwind CSS compiled ahead of time (static/tailwind.css, `make css`) stands in for NiceGUI's Tailwind runtime,
which compiled the same CSS in each visitor's browser on every page: it must be made by the runtime's Tailwind
version and hold every rule the runtime makes for the classes the portal's code uses."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import nicegui

from tools import tailwind_candidates

ROOT = Path(__file__).resolve().parent.parent
COMPILED = ROOT / 'static' / 'tailwind.css'
RUNTIME = Path(nicegui.__file__).parent / 'static' / 'tailwindcss.min.js'


def test_the_compiled_css_comes_from_the_runtimes_tailwind_version() -> None:
    """When NiceGUI ships another Tailwind, tools/package.json and `make css` must follow (or pages would
    change look after an upgrade)."""
    compiled = re.search(r'tailwindcss v(\d+\.\d+\.\d+)', COMPILED.read_text()[:200])
    assert compiled, 'static/tailwind.css has no Tailwind version banner: run make css'
    runtime = re.search(r'var \w+="(\d+\.\d+\.\d+)"', RUNTIME.read_text()[:200])
    assert runtime and runtime.group(1) == compiled.group(1), \
        f'NiceGUI now ships Tailwind {runtime and runtime.group(1)}; pin it in tools/package.json and run make css'
    assert f'"tailwindcss": "{compiled.group(1)}"' in (ROOT / 'tools' / 'package.json').read_text()


_RULES = """
const sheets = window[arguments[0]];
const out = [];
function walk(rules, context) {
  for (const rule of rules) {
    if (rule.cssRules && !rule.selectorText) {
      const head = rule.cssText.slice(0, rule.cssText.indexOf('{')).trim();
      walk(rule.cssRules, context + head + ' » ');
    } else {
      out.push(context + rule.cssText);
      if (rule.cssRules) walk(rule.cssRules, context + rule.selectorText + ' » ');
    }
  }
}
for (const sheet of sheets) walk(sheet.cssRules, '');
return out;
"""


def _bare(rule: str) -> str:
    """A rule without its spaces: a value with var() keeps the text it was written in (minified or not)."""
    return re.sub(r'\s+', '', rule).replace("'", '"')


@pytest.mark.browser
def test_the_compiled_css_holds_every_rule_the_runtime_makes_for_the_portals_classes(screen, browser) -> None:
    """A page carrying every candidate class (tools/tailwind_candidates.py, on a hidden element) is given NiceGUI's
    Tailwind runtime again, configured as NiceGUI's page template does: each rule it makes for them and for the
    page's own markup, as the browser reads it, must be in static/tailwind.css as the browser reads that."""
    candidates = tailwind_candidates.candidates()
    assert {'min-w-0', 'max-w-full', 'text-lg', 'font-semibold', 'gap-4'} <= set(candidates)
    screen.open('/login')
    browser.sees('Forgot Password?')
    driver = browser.driver
    driver.execute_script("""
        const holder = document.createElement('div');
        holder.hidden = true;
        holder.className = arguments[0];
        document.body.append(holder);
        const config = document.createElement('style');
        config.type = 'text/tailwindcss';
        config.textContent = '@custom-variant dark (&:where(body.body--dark, body.body--dark *));';
        document.head.append(config);
        window.__before = new Set(document.querySelectorAll('style'));
        const script = document.createElement('script');
        script.src = arguments[1];
        document.head.append(script);
    """, ' '.join(candidates), f'/_nicegui/{nicegui.__version__}/static/tailwindcss.min.js')

    def made_by_the_runtime() -> int:
        return driver.execute_script("""
            window.__made = [...document.querySelectorAll('style')].filter(s => !window.__before.has(s)
                && s.textContent.includes('tailwindcss') && s.sheet && s.sheet.cssRules.length).map(s => s.sheet);
            return window.__made.length;""")
    browser.until(made_by_the_runtime, "NiceGUI's Tailwind runtime made no CSS")
    assert driver.execute_script("""window.__compiled = [...document.styleSheets].filter(
        s => s.href && s.href.includes('/static/tailwind.css')); return window.__compiled.length""") == 1, \
        'the page does not link static/tailwind.css'
    made = [_bare(rule) for rule in driver.execute_script(_RULES, '__made')]
    compiled = {_bare(rule) for rule in driver.execute_script(_RULES, '__compiled')}
    utilities = [rule for rule in made if rule.startswith('@layerutilities»')]
    assert len(utilities) > 50, f'the runtime made only {len(utilities)} utility rules: {utilities}'
    missing = [rule for rule in made if rule not in compiled]
    assert not missing, (f'{len(missing)} rules of the runtime are not in static/tailwind.css (run make css): '
                         + '\n'.join(missing[:20]))
