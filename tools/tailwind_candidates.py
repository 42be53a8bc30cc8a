"""The words `make css` gives Tailwind's compiler as class candidates (tools/tailwind.css reads the file this
writes), and tests/test_tailwind.py gives NiceGUI's Tailwind runtime: every word of every string in the code
that builds the portal's pages, and in the JavaScript of Quasar and NiceGUI, whose own markup carries class
names Tailwind also defines (`absolute`, `justify-center`, ...), for which the runtime made rules from the
page. A superset of what any page shows; a word that is no Tailwind class makes no CSS."""
from __future__ import annotations

import io
import re
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / 'tools' / 'tailwind.candidates.txt'
# a word an HTML class attribute can carry (Tailwind's variants and arbitrary values included)
CLASS = re.compile(r'^!?-?[a-z@][a-z0-9@:\-/.\[\]#%_!]*$')
JS_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"|\'((?:[^\'\\\n]|\\.)*)\'|`([^`]*)`')


def python_sources() -> list[Path]:
    import nicegui
    ours = [*(ROOT / 'pages').rglob('*.py'), *(ROOT / 'components').rglob('*.py'), ROOT / 'main.py',
            ROOT / 'session.py']
    return sorted(ours) + sorted((Path(nicegui.__file__).parent / 'elements').glob('*.py'))


def javascript_sources() -> list[Path]:
    import nicegui
    package = Path(nicegui.__file__).parent
    return [ROOT / 'static' / 'portico.js', package / 'static' / 'quasar.umd.prod.js',
            package / 'static' / 'nicegui.js', *sorted((package / 'elements').rglob('*.js'))]


def _python_strings(path: Path):
    for token in tokenize.generate_tokens(io.StringIO(path.read_text()).readline):
        if token.type == tokenize.STRING or token.type == getattr(tokenize, 'FSTRING_MIDDLE', -1):
            yield token.string


def _javascript_strings(path: Path):
    for match in JS_STRING.finditer(path.read_text(errors='replace')):
        yield next(group for group in match.groups() if group is not None)


def candidates() -> list[str]:
    words = set()
    for path in python_sources():
        for text in _python_strings(path):
            words.update(word.strip('\'"') for word in text.split())
    for path in javascript_sources():
        for text in _javascript_strings(path):
            words.update(text.split())
    return sorted(word for word in words if CLASS.match(word) and len(word) < 80)


if __name__ == '__main__':
    words = candidates()
    OUTPUT.write_text('\n'.join(words) + '\n')
    print(f'{OUTPUT.relative_to(ROOT)}: {len(words)} candidates', file=sys.stderr)
