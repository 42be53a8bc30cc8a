"""Who sees which catalogs and products: Public for everyone, Private for signed-in users, Custom for
the teams a portal admin granted it to."""
from __future__ import annotations


from db.search import matches
from db.models import (Catalog, CatalogPlan, CatalogProduct, CatalogTeam, Membership, Plan, Product, User,
                       UserStatus, Visibility)


def catalogs_visible_to(user: User | None):
    query = Catalog.select()
    if user is not None and user.status == UserStatus.ACTIVE and user.is_portal_admin:
        return query
    if user is None or user.status != UserStatus.ACTIVE:
        return query.where(Catalog.visibility == Visibility.PUBLIC)
    teams = Membership.select(Membership.team).where(Membership.user == user)
    granted = CatalogTeam.select(CatalogTeam.catalog).where(CatalogTeam.team.in_(teams))
    return query.where(Catalog.visibility.in_([Visibility.PUBLIC, Visibility.PRIVATE])
                       | ((Catalog.visibility == Visibility.CUSTOM) & Catalog.id.in_(granted)))


def visible_catalog(user: User | None, catalog_id: int) -> Catalog | None:
    return catalogs_visible_to(user).where(Catalog.id == catalog_id).first()


def products_visible_to(user: User | None, catalog_id: int | None = None, search: str = ''):
    """Products in the catalogs the user sees, optionally in one catalog, matching name or tag."""
    catalogs = catalogs_visible_to(user).select(Catalog.id)
    if catalog_id:
        catalogs = catalogs.where(Catalog.id == catalog_id)
    in_catalogs = CatalogProduct.select(CatalogProduct.product).where(CatalogProduct.catalog.in_(catalogs))
    query = Product.select().where(Product.id.in_(in_catalogs))
    if search:
        query = query.where(matches(Product, search[:100]))  # words that start its name, slug, summary or a tag
    return query.order_by(Product.name)


def catalogs_of_product(user: User | None, product: Product) -> list[tuple[Catalog, list[Plan]]]:
    """The catalogs the user sees that offer this product, each with its plans (two queries)."""
    catalogs = list(catalogs_visible_to(user).join(CatalogProduct, on=(CatalogProduct.catalog == Catalog.id))
                    .where(CatalogProduct.product == product).order_by(Catalog.name))
    plans: dict[int, list[Plan]] = {catalog.id: [] for catalog in catalogs}
    if catalogs:
        for link in (CatalogPlan.select(CatalogPlan, Plan).join(Plan)
                     .where(CatalogPlan.catalog.in_(list(plans))).order_by(Plan.name)):
            plans[link.catalog_id].append(link.plan)
    return [(catalog, plans[catalog.id]) for catalog in catalogs]


def plan_summary(plan: Plan) -> str:
    """A plan in one line: rate limit, quota, approval (the product page and the Markdown for machines)."""
    quota = 'no quota' if not plan.quota else f'{plan.quota:,} requests / {plan.quota_period}'
    approval = 'needs approval' if plan.requires_approval else 'instant access'
    lifetime = f' · keys expire after {plan.key_lifetime_days:,} days' if plan.key_lifetime_days else ''
    return f'{plan.rate_limit:,} requests / {plan.rate_period} s · {quota} · {approval}{lifetime}'


def plans_of(catalog: Catalog) -> list[Plan]:
    return list(Plan.select().join(CatalogPlan).where(CatalogPlan.catalog == catalog).order_by(Plan.name))


def product_in_catalog(product_id: int, catalog_id: int) -> bool:
    return CatalogProduct.select().where((CatalogProduct.product == product_id)
                                         & (CatalogProduct.catalog == catalog_id)).exists()
