"""The OpenAPI document field of Admin -> APIs and Admin -> Publish an API: a textarea for a pasted document, a hidden
uploader for a file, and the way round NiceGUI's live connection, which drops messages over about 1 MB: a big
document (pasted or uploaded) travels over HTTP through the uploader and stays on the server; the textarea shows
only small ones."""
from __future__ import annotations

from collections.abc import Callable

from babel.numbers import format_decimal
from nicegui import events, ui

from components.forms import PASTE_LIMIT, bounded, refuse_cut_paste
from domain import i18n
from domain.errors import DomainError
from domain.i18n import N_, _
from workflows import openapi

SHOW_LIMIT = PASTE_LIMIT  # characters a textarea shows; bigger documents stay on the server (the socket's limit is ~1 MB)
PASTE_HANDLER = """(event) => {
  const text = event.clipboardData ? event.clipboardData.getData('text') : '';
  if (text.length <= SHOW_LIMIT) return;
  event.preventDefault();
  const file = new File([text], 'pasted-document.yaml', {type: 'text/plain'});
  getElement(UPLOAD_ID).$refs.qRef.addFiles([file]);
}"""


class OpenApiInput:
    """`field` names the document in the workflow's DomainError (for the message next to the textarea);
    `refused(error)` shows a file that is no text; `loaded` is said once a file is in, `kept` how a big one is used."""

    def __init__(self, marker: str, upload_marker: str, field: str, refused: Callable[[DomainError], None], *,
                 value: str = '',
                 rows: int = 12, loaded: str = N_('check it and save'), kept: str = N_('saved as it is')) -> None:
        self.field, self._refused, self._loaded, self._kept = field, refused, loaded, kept
        self.big: str | None = None
        self.document = ui.textarea(_('OpenAPI document (JSON or YAML)'), value=value) \
            .props(f'outlined input-class="font-mono text-xs" rows={rows}').classes('w-full').mark(marker)
        bounded(self.document, PASTE_LIMIT)  # a longer paste goes to the uploader (PASTE_HANDLER)
        self.note = ui.label('').classes('text-sm text-grey-8').mark(f'{marker}-note')
        self.note.set_visibility(False)
        self.upload = ui.upload(auto_upload=True, max_file_size=openapi.MAX_SIZE, on_upload=self._uploaded,
                                on_rejected=lambda: ui.notify(_('The document is larger than {size}.',
                                                                size=openapi.SIZE_LABEL), type='negative')) \
            .props('accept=".json,.yaml,.yml,.txt"').classes('hidden').mark(upload_marker)
        self.document.on('paste', js_handler=PASTE_HANDLER.replace('UPLOAD_ID', str(self.upload.id))
                         .replace('SHOW_LIMIT', str(SHOW_LIMIT)))

    def upload_button(self, marker: str) -> ui.button:
        """"Upload a JSON or YAML file", where the page puts it."""
        return ui.button(_('Upload a JSON or YAML file (up to {size})', size=openapi.SIZE_LABEL), icon='upload_file',
                         on_click=lambda: self.upload.run_method('pickFiles')).props('flat dense no-caps').mark(marker)

    def say(self, text: str) -> None:
        self.note.set_text(text)
        self.note.set_visibility(True)

    async def _uploaded(self, event: events.UploadEventArguments) -> None:
        self.upload.reset()
        try:
            text = await event.file.text()
        except UnicodeDecodeError:
            self._refused(DomainError('This file is not a text file; upload a JSON or YAML document.', self.field))
            return
        self.document.error = None
        if len(text) <= SHOW_LIMIT:
            self.big = None
            self.document.value = text
            self.note.set_visibility(False)
        else:
            self.big = text
            self.document.value = ''
            self.say(_('{file} ({size} MB) is loaded; it is too big to show here and is {kept}.', file=event.file.name,
                       size=format_decimal(len(text.encode()) / 1e6, '#,##0.0', locale=i18n.current()),
                       kept=_(str(self._kept))))
        ui.notify(_('{file} loaded; {then}.', file=event.file.name, then=_(str(self._loaded))), type='positive')

    def text(self) -> str:
        """The document to read: the big one on the server, or what the textarea holds, refused (DomainError) when
        the browser cut a paste short."""
        if self.big is not None:
            return self.big
        refuse_cut_paste(self.document.value, self.field, _('paste it again (longer pastes are uploaded) or upload '
                                                            'the file'))
        return self.document.value or ''

    def clear(self) -> None:
        self.document.value, self.big = '', None
        self.note.set_visibility(False)
