"""Admin -> Appearance (issue 25, item 1): the portal's name, colours with a live preview and their contrast, the
logo and favicon, the footer links (workflows/brand.py checks and saves them)."""
from __future__ import annotations

from nicegui import events, ui

import session
from components.forms import Feedback, reload_with
from components.frame import admin_frame, admin_page
from domain.brand import Look, text_on
from domain.errors import DomainError
from domain import i18n
from domain.i18n import N_, _
from workflows import brand, brand_images, settings

# the field, its label, its hint and its colour picker's name for screen readers
COLOUR_FIELDS = [('header', N_('Header colour'), N_('Behind the name and the menu; its text is black or white.'),
                  N_('Pick the header colour')),
                 ('primary', N_('Primary colour'), N_('Buttons and links.'), N_('Pick the primary colour')),
                 ('accent', N_('Accent colour'), N_('Badges and highlights.'), N_('Pick the accent colour'))]
IMAGE_HINTS = {'logo': N_('PNG, JPEG, WebP or SVG, up to 512 kB and 4096 pixels a side; shown 32 pixels high.'),
               'favicon': N_('PNG, JPEG, WebP or SVG, up to 100 kB and 512 pixels a side; square looks best.')}
# the texts of each image (one message each: languages inflect "logo" and "favicon" differently)
IMAGE_TEXTS = {
    'logo': {'title': N_('Logo'), 'current': N_('The current logo'), 'default': N_('The default logo'),
             'upload': N_('Upload a logo'), 'saved': N_('Logo saved.'),
             'removed': N_('Logo removed: the default is back.')},
    'favicon': {'title': N_('Favicon'), 'current': N_('The current favicon'), 'default': N_('The default favicon'),
                'upload': N_('Upload a favicon'), 'saved': N_('Favicon saved.'),
                'removed': N_('Favicon removed: the default is back.')},
}


@admin_page('/admin/appearance')
def appearance_page() -> None:
    saved = settings.load()
    look = Look.of(saved)
    with admin_frame(_('Appearance'), intro=_('How the portal looks: on every page, in the emails and on the API '
                                               'reference pages.')):
        with ui.row().classes('w-full items-start gap-4'):
            with ui.card().classes('flex-1 min-w-[22rem] p-5 gap-3'):
                ui.label(_('Name and colours')).classes('text-lg font-semibold')
                name = ui.input(_('Portal name'), value=look.portal_name).props('outlined dense maxlength=101') \
                    .classes('w-full').mark('brand-name')
                colours = {field: _colour_field(field, _(label), _(hint), _(pick), getattr(look, field), lambda: preview())
                           for field, label, hint, pick in COLOUR_FIELDS}
            preview = _preview_card(name, colours)

        with ui.card().classes('w-full p-5 gap-3'):
            ui.label(_('Logo and favicon')).classes('text-lg font-semibold')
            with ui.row().classes('w-full gap-8 items-start'):
                for kind in brand_images.KINDS:
                    _image_field(kind, saved)

        with ui.card().classes('w-full p-5 gap-3'):
            ui.label(_('Footer links')).classes('text-lg font-semibold')
            ui.label(_('Terms, privacy, a status page: up to six links at the bottom of every page and email '
                       '(https://, http:// or mailto:).')).classes('text-grey-8 text-sm')
            links = _FooterLinks(saved.get('brand_footer_links') or [])

        feedback = Feedback({'portal_name': name, **colours}, marker='brand-error')

        def save() -> None:
            feedback.clear()
            links.clear_errors()
            try:
                changes = brand.save(portal_name=name.value, header=colours['header'].value,
                                     primary=colours['primary'].value, accent=colours['accent'].value,
                                     footer_links=links.values(), by=session.current_user())
            except DomainError as error:
                if not links.show(error):
                    feedback.show(error)
                return
            if not changes:
                ui.notify(_('Nothing changed.'))
                return
            reload_with(_('Appearance saved: every page shows it from the next page you open.'))  # this one's too

        ui.button(_('Save'), icon='save', on_click=save).props('unelevated no-caps').mark('brand-save')


def _colour_field(field: str, label: str, hint: str, pick: str, value: str, changed) -> ui.input:
    """A #rrggbb text field with a colour picker and a swatch (an input of its own, so that a refusal shows under
    it as under any field)."""
    colour = ui.input(label, value=value).props('outlined dense maxlength=7').classes('w-full') \
        .mark(f'brand-{field}')
    colour.props['hint'] = hint
    with colour.add_slot('append'):
        swatch = ui.element('div').classes('w-6 h-6 rounded border').mark(f'brand-{field}-swatch')
        picker = ui.color_picker(on_pick=lambda event: colour.set_value(event.color))
        ui.button(icon='colorize', on_click=lambda: (picker.set_color(colour.value), picker.open())) \
            .props(f'flat round dense color=grey-8 aria-label="{pick}"')

    def show() -> None:
        try:
            swatch.style(f'background-color: {brand.clean_colour(colour.value, field)}')
        except DomainError:
            swatch.style('background-color: transparent')
        changed()

    colour.on_value_change(show)
    swatch.style(f'background-color: {value}')
    return colour


def _preview_card(name: ui.input, colours: dict[str, ui.input]):
    """A mini header, a button, a link and a badge in the colours being chosen, with the contrast of each text."""
    with ui.card().classes('flex-1 min-w-[22rem] p-5 gap-3').mark('brand-preview'):
        ui.label(_('Preview')).classes('text-lg font-semibold')
        bar = ui.element('div').classes('w-full row items-center gap-2 px-4 py-2 rounded').mark('preview-header')
        with bar:
            title = ui.label().classes('font-semibold')
        with ui.row().classes('items-center gap-4'):
            button = ui.label(_('Button')).classes('px-4 py-1 rounded font-medium').mark('preview-button')
            link = ui.label(_('A link')).classes('underline').mark('preview-link')
            badge = ui.label(_('{count} new', count=i18n.number(3))).classes('px-2 rounded-full text-xs font-medium').mark('preview-badge')
        ratios = ui.column().classes('gap-1 text-sm').mark('preview-contrast')

    def update() -> None:
        values = {}
        for field, element in colours.items():
            try:
                values[field] = brand.clean_colour(element.value, field)
            except DomainError:
                values[field] = None
        title.set_text(name.value or _('Portal name'))
        if values['header']:
            bar.style(f'background-color: {values["header"]}; color: {text_on(values["header"])}')
        if values['primary']:
            button.style(f'background-color: {values["primary"]}; color: {text_on(values["primary"])}')
            link.style(f'color: {values["primary"]}')
        if values['accent']:
            badge.style(f'background-color: {values["accent"]}; color: {text_on(values["accent"])}')
        ratios.clear()
        with ratios:
            if None in values.values():
                ui.label(_('Enter each colour as #rrggbb to see its contrast.')).classes('text-grey-8')
                return
            for pair in brand.contrasts(values['header'], values['primary'], values['accent']):
                with ui.row().classes('items-center gap-1 no-wrap'):
                    ui.icon('check_circle' if pair.passes else 'error', color='positive' if pair.passes else 'negative')
                    ratio, what = f'{pair.ratio:.2f}', str(pair.what)
                    ui.label(_('{what}: {ratio}:1 (AA)', what=what, ratio=ratio) if pair.passes else
                             _('{what}: {ratio}:1 fails AA (4.5:1)', what=what, ratio=ratio)) \
                        .classes('text-grey-9' if pair.passes else 'text-negative')

    name.on_value_change(update)
    update()
    return update


def _image_field(kind: str, saved: dict) -> None:
    digest = saved.get(brand.ASSET_SETTING[kind]) or ''
    with ui.column().classes('gap-2 min-w-[18rem]').mark(f'brand-{kind}'):
        ui.label(_(IMAGE_TEXTS[kind]['title'])).classes('font-medium')
        with ui.row().classes('items-center gap-3'):
            if digest:
                image = ui.element('img').classes('h-12 max-w-[12rem] object-contain border rounded p-1 bg-white') \
                    .mark(f'brand-{kind}-preview')
                image.props['src'], image.props['alt'] = f'/brand/{kind}?v={digest}', _(IMAGE_TEXTS[kind]['current'])
            else:
                ui.label(_(IMAGE_TEXTS[kind]['default'])).classes('text-grey-8').mark(f'brand-{kind}-default')
        ui.label(_(IMAGE_HINTS[kind])).classes('text-grey-8 text-sm')
        feedback = Feedback(marker=f'brand-{kind}-error')

        async def uploaded(event: events.UploadEventArguments) -> None:
            upload.reset()
            data = await event.file.read()
            try:
                brand.upload(kind, data, by=session.current_user())
            except DomainError as error:
                feedback.show(error)
                return
            reload_with(_(IMAGE_TEXTS[kind]['saved']))

        def remove() -> None:
            if brand.remove(kind, by=session.current_user()):
                reload_with(_(IMAGE_TEXTS[kind]['removed']))

        upload = ui.upload(auto_upload=True, max_file_size=brand_images.LIMITS[kind], on_upload=uploaded,
                           on_rejected=lambda: feedback.show(DomainError(
                               'The file is too big ({limit} kB at most).',
                               limit=i18n.number(brand_images.LIMITS[kind] // 1024)))) \
            .props('accept="image/png,image/jpeg,image/webp,image/svg+xml"').classes('hidden') \
            .mark(f'brand-{kind}-upload')
        with ui.row().classes('gap-2'):
            ui.button(_(IMAGE_TEXTS[kind]['upload']), icon='upload', on_click=lambda: upload.run_method('pickFiles')) \
                .props('outline no-caps').mark(f'brand-{kind}-choose')
            if digest:
                ui.button(_('Remove'), icon='delete', on_click=remove).props('flat no-caps color=negative') \
                    .mark(f'brand-{kind}-remove')


class _FooterLinks:
    """The rows of label and address; Add a link / Remove."""

    def __init__(self, links: list[dict]) -> None:
        self.rows: list[tuple[ui.input, ui.input]] = []
        self.area = ui.column().classes('w-full gap-2').mark('footer-links')
        self.add_button = ui.button(_('Add a link'), icon='add', on_click=lambda: self.add()) \
            .props('flat no-caps').mark('footer-add')
        self.banner = Feedback(marker='footer-error')
        for link in links:
            self.add(link.get('label', ''), link.get('url', ''))

    def add(self, label: str = '', url: str = '') -> None:
        with self.area, ui.row().classes('w-full items-start gap-2 no-wrap') as row:
            number = len(self.rows) + 1
            name = ui.input(_('Label'), value=label).props('outlined dense maxlength=41').classes('w-48') \
                .mark(f'footer-label-{number}')
            address = ui.input(_('Address'), value=url).props('outlined dense maxlength=501') \
                .style('flex: 1 1 auto; min-width: 18rem') \
                .mark(f'footer-url-{number}')
            pair = (name, address)
            remove = ui.button(icon='delete', on_click=lambda: self.remove(row, pair)).props('flat round color=grey-8')
            remove.props['aria-label'] = _('Remove link {number}', number=number)
            remove.mark(f'footer-remove-{number}')
        self.rows.append(pair)
        self.add_button.set_visibility(len(self.rows) < brand.FOOTER_MAX)

    def remove(self, row: ui.row, pair: tuple[ui.input, ui.input]) -> None:
        self.rows.remove(pair)
        row.delete()
        self.add_button.set_visibility(len(self.rows) < brand.FOOTER_MAX)

    def values(self) -> list[dict[str, str]]:
        return [{'label': label.value, 'url': url.value} for label, url in self.rows]

    def clear_errors(self) -> None:
        self.banner.clear()
        for label, url in self.rows:
            label.error = url.error = None

    def show(self, error: DomainError) -> bool:
        """The refusal next to its row's field; False when it is none of this list's."""
        field = error.field or ''
        if field == 'footer':
            self.banner.show(error)
            return True
        parts = field.split('_')
        if len(parts) != 3 or parts[0] != 'footer' or not parts[1].isdigit() or not 0 < int(parts[1]) <= len(self.rows):
            return False
        label, url = self.rows[int(parts[1]) - 1]
        (label if parts[2] == 'label' else url).error = str(error)
        ui.notify(str(error), type='negative')
        return True
