"""API Provider -> Products -> Guides (issue 25): a product's guides, in the order of its tabs; add, edit with a
preview, publish, unpublish, move, delete (the rules: workflows/guides.py)."""
from __future__ import annotations

from nicegui import ui

import session
from components import dialogs, docs, translations
from components.chips import status_chip
from components.forms import Feedback, attempt, bounded
from components.frame import admin_frame, admin_page
from components.tables import Column, PagedTable, intro, toolbar
from db.models import Guide, Product
from domain import i18n
from domain.i18n import N_, _
from workflows import catalog, guides


@admin_page('/admin/products/{product_id}/guides')
def guides_page(product_id: str) -> None:
    product = Product.get_or_none(Product.id == int(product_id)) if product_id.isdigit() and \
        len(product_id) < 18 else None
    with admin_frame(_('Guides of {name}', name=product.name) if product else _('Guides')):
        if product is None:
            ui.status_code(404)
            ui.label(_('This product was not found.')).mark('guides-product-not-found')
            ui.link(_('Back to the products'), '/admin/products')
            return
        with ui.row().classes('gap-4 items-center'):
            ui.link(_('← Products'), '/admin/products').mark('guides-back')
            ui.link(_('Open the product page'), f'/products/{product.slug}').mark('guides-product-page')
        with toolbar(_('Add guide'), lambda: edit_dialog(product, None, table), 'guides-add'):
            intro(_('Guides are Markdown pages shown as tabs beside the API reference, in this order, to everyone '
                    'who may see the product. A new guide is a draft until you publish it.'))

        def fetch(_search: str, offset: int, limit: int) -> tuple[list[Guide], int]:
            query = Guide.select(Guide.id, Guide.title, Guide.slug, Guide.position, Guide.published,
                                 Guide.updated_at).where(Guide.product == product.id)
            return list(query.order_by(Guide.position, Guide.id).offset(offset).limit(limit)), query.count()

        def title_cell(guide: Guide) -> None:
            with ui.column().classes('gap-0'):
                ui.label(guide.title).classes('font-medium')
                ui.label(guides.url(product.slug, guide.slug)).classes('text-xs text-grey-8 font-mono')

        def order_cell(guide: Guide) -> None:
            up, down = _('Move up'), _('Move down')
            with ui.row().classes('gap-0 no-wrap items-center'):
                ui.button(icon='arrow_upward', on_click=lambda g=guide: change(lambda: guides.move(g, -1, by=me()),
                                                                               _('{title} moved up.', title=g.title))) \
                    .props(f'flat dense round size=sm aria-label="{up}"').mark(f'guide-up-{guide.slug}')
                ui.button(icon='arrow_downward', on_click=lambda g=guide: change(lambda: guides.move(g, 1, by=me()),
                                                                                 _('{title} moved down.', title=g.title))) \
                    .props(f'flat dense round size=sm aria-label="{down}"').mark(f'guide-down-{guide.slug}')

        def status_cell(guide: Guide) -> None:
            status_chip('published' if guide.published else 'draft')

        def actions(guide: Guide) -> None:
            with ui.row().classes('gap-1 no-wrap'):
                ui.button(_('Edit'), on_click=lambda g=guide: edit_dialog(product, g.id, table)) \
                    .props('flat dense no-caps').mark(f'guide-edit-{guide.slug}')
                translations.button('guide', guide, marker=f'guide-{guide.slug}').props('dense')
                if guide.published:
                    ui.button(_('Unpublish'), on_click=lambda g=guide: change(
                        lambda: guides.set_published(g, False, by=me()), _('{title} is a draft again.', title=g.title))) \
                        .props('flat dense no-caps').mark(f'guide-unpublish-{guide.slug}')
                else:
                    ui.button(_('Publish'), on_click=lambda g=guide: change(
                        lambda: guides.set_published(g, True, by=me()), _('{title} is published.', title=g.title))) \
                        .props('flat dense no-caps color=positive').mark(f'guide-publish-{guide.slug}')
                ui.button(_('Delete'), on_click=lambda g=guide: delete_dialog(g, table)) \
                    .props('flat dense no-caps color=negative').mark(f'guide-delete-{guide.slug}')

        def change(action, message: str) -> None:
            def act() -> str:
                action()
                return message
            attempt(act, table.refresh)

        table = PagedTable([
            Column(_('Order'), order_cell, '5rem'),
            Column(_('Guide'), title_cell, '2fr'),
            Column(_('Status'), status_cell, '7rem'),
            Column(_('Updated'), lambda g: ui.label(i18n.moment(g.updated_at, style='short')).classes('text-sm'), '10rem'),
            Column('', actions, '15rem'),
        ], fetch, empty=_('No guides yet. Add a Getting started guide: it shows beside the API reference.'),
            search_label=None, marker='guides')


def me():
    return session.current_user()


def edit_dialog(product: Product, guide_id: int | None, table: PagedTable) -> None:
    guide = table.row_again(Guide, guide_id, N_('This guide')) if guide_id else None
    if guide_id and guide is None:
        return
    used = {title for (title,) in Guide.select(Guide.title).where(Guide.product == product.id).tuples()}
    with dialogs.dialog() as dialog, ui.card().classes('w-[60rem] max-w-full'):
        ui.label(_('Add a guide to {name}', name=product.name) if guide is None else _('Edit {name}', name=guide.title)) \
            .classes('text-lg font-semibold')
        with ui.row().classes('w-full no-wrap gap-3'):
            title = ui.input(_('Title'), value=guide.title if guide else '').props('outlined').classes('grow') \
                .mark('guide-title')
            slug = ui.input(_('Slug (optional)'), value=guide.slug if guide else '').props('outlined') \
                .classes('w-64').mark('guide-slug')
            slug.props['hint'] = _('Used in the address; derived from the title when empty')
        title.on_value_change(lambda e: slug.props.update(placeholder=catalog.slugify(e.value or '')))
        suggestions = [name for name in guides.SUGGESTED_TITLES if name not in used]
        if guide is None and suggestions:
            with ui.row().classes('items-center gap-1'):
                ui.label(_('Suggested:')).classes('text-sm text-grey-8')
                for name in suggestions:  # a suggestion in the admin's language: the title readers get
                    ui.button(_(str(name)), on_click=lambda n=_(str(name)): title.set_value(n)) \
                        .props('flat dense no-caps color=primary').mark(f'guide-suggest-{catalog.slugify(name)}')
        with ui.tabs(value='write').props('no-caps dense align=left').classes('w-full') as tabs:
            ui.tab('write', label=_('Write')).mark('guide-write')
            ui.tab('preview', label=_('Preview')).mark('guide-preview')
        with ui.tab_panels(tabs, value='write').classes('w-full'):
            with ui.tab_panel('write').classes('p-0 gap-2'):
                body = bounded(ui.textarea(_('Guide (Markdown)'), value=guide.body if guide else '')
                               .props('outlined rows=14').classes('w-full font-mono').mark('guide-body'),
                               guides.MAX_BODY)
                with ui.expansion(_('Placeholders'), icon='data_object').classes('w-full text-sm') \
                        .mark('guide-placeholders'):
                    ui.label(_('Filled in for each reader, in code blocks too:')).classes('text-grey-8')
                    for name, meaning in guides.PLACEHOLDERS.items():
                        with ui.row().classes('gap-2 no-wrap'):
                            ui.label(name).classes('font-mono')
                            ui.label(_(str(meaning))).classes('text-grey-8')
            with ui.tab_panel('preview').classes('p-0'):
                preview = ui.column().classes('w-full gap-2 max-h-[60vh] overflow-auto').mark('guide-preview-body')

        def show_preview(event) -> None:
            if event.value != 'preview':
                return
            preview.clear()
            with preview:
                if not (body.value or '').strip():
                    ui.label(_('Nothing to preview yet: write the guide first.')).classes('text-grey-8')
                    return
                docs.guide(body.value or '', guides.values_for(me(), product, sample=True),
                           login_next=f'/products/{product.slug}')

        tabs.on_value_change(show_preview)
        feedback = Feedback({'title': title, 'slug': slug, 'body': body}, marker='guide-error')

        def save() -> None:
            def act() -> str:
                saved = guides.save_guide(product.id, guide.id if guide else None, title.value, slug.value,
                                          body.value, by=me())
                table.show_new(saved.id)
                if saved.published:
                    return _('{title} saved (published).', title=saved.title)
                return _('{title} saved (a draft: publish it when it is ready).', title=saved.title)

            tabs.set_value('write')  # an error is shown next to its field
            dialogs.submit(dialog, feedback, act, table.refresh)

        dialogs.actions(dialog, _('Save'), save, 'guide-save')
    dialog.open()


def delete_dialog(guide: Guide, table: PagedTable) -> None:
    dialogs.confirm_delete(guide.title, _('Its tab leaves the product page, and its address stops working.'),
                           'guide-delete', lambda: guides.delete_guide(guide, by=me()), table.refresh)
