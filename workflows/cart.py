"""The cart (003 "Access an API Product", steps 5-8): products chosen in catalogs, grouped by catalog,
kept in the database so that it survives a reload and a sign-out."""
from __future__ import annotations

from dataclasses import dataclass

import peewee as pw

from db.connection import database
from db.models import CartItem, Catalog, CatalogPlan, CatalogProduct, Plan, Product, User, UserStatus
from domain.errors import DomainError, NotFound
from workflows import browse


@dataclass
class Group:
    catalog: Catalog
    items: list[CartItem]
    plans: list[Plan]


def add(user: User, product_id: int, catalog_id: int) -> CartItem:
    """Add to cart: the product as offered in this catalog, which the user must be able to see."""
    if user is None or user.status != UserStatus.ACTIVE:
        raise DomainError('Log in to add products to your cart.')
    catalog = browse.visible_catalog(user, catalog_id)
    if catalog is None or not browse.product_in_catalog(product_id, catalog_id):
        raise NotFound('This product')
    with database.atomic():
        item = CartItem.get_or_none((CartItem.user == user) & (CartItem.catalog == catalog)
                                    & (CartItem.product == product_id))
        return item or CartItem.create(user=user, catalog=catalog, product=product_id)


def remove(user: User, item_id: int) -> None:
    if not CartItem.delete().where((CartItem.id == item_id) & (CartItem.user == user)).execute():
        raise NotFound('This cart item')


def count(user: User | None) -> int:
    return 0 if user is None else CartItem.select().where(CartItem.user == user).count()


def groups(user: User) -> list[Group]:
    """The cart grouped by catalog, without the items the user can no longer get (see `contents`)."""
    return contents(user).groups


@dataclass
class Contents:
    groups: list[Group]
    unavailable: list[CartItem]  # a stale cart: the catalog is hidden from the user now, or no longer offers it


def contents(user: User) -> Contents:
    """The cart in three queries whatever its size (items, visible catalogs, plans). Reading it changes
    nothing: an item the user can no longer get is listed as unavailable until they remove it."""
    visible = {row[0] for row in browse.catalogs_visible_to(user).select(Catalog.id).tuples()}
    offered = CatalogProduct.select(pw.fn.COUNT(CatalogProduct.id)).where(
        (CatalogProduct.product == CartItem.product) & (CatalogProduct.catalog == CartItem.catalog))
    items = list(CartItem.select(CartItem, Catalog, Product, offered.alias('offered'))
                 .join(Catalog).switch(CartItem).join(Product)
                 .where(CartItem.user == user).order_by(Catalog.name, Product.name, CartItem.id))
    available = [item for item in items if item.catalog_id in visible and item.offered]
    plans: dict[int, list[Plan]] = {item.catalog_id: [] for item in available}
    if plans:
        for link in (CatalogPlan.select(CatalogPlan, Plan).join(Plan)
                     .where(CatalogPlan.catalog.in_(list(plans))).order_by(Plan.name)):
            plans[link.catalog_id].append(link.plan)
    result: dict[int, Group] = {}
    for item in available:
        if item.catalog_id not in result:
            result[item.catalog_id] = Group(item.catalog, [], plans[item.catalog_id])
        result[item.catalog_id].items.append(item)
    kept = {item.id for item in available}
    return Contents(list(result.values()), [item for item in items if item.id not in kept])


def remove_unavailable(user: User) -> int:
    """Remove every item of the user's cart that they can no longer get; returns how many (a POST-like step)."""
    with database.atomic():
        stale = [item.id for item in contents(user).unavailable]
        if stale:
            CartItem.delete().where(CartItem.id.in_(stale) & (CartItem.user == user)).execute()
    return len(stale)
