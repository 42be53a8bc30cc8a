"""The cart (003 "Access an API Product", steps 5-8): products chosen in catalogs, grouped by catalog,
kept in the database so that it survives a reload and a sign-out."""
from __future__ import annotations

from dataclasses import dataclass

from db.connection import database
from db.models import CartItem, Catalog, Plan, Product, User, UserStatus
from workflows import DomainError, NotFound, browse


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
    """The cart grouped by catalog; items the user can no longer see (a stale cart) are dropped."""
    visible = {catalog.id for catalog in browse.catalogs_visible_to(user)}
    items = list(CartItem.select(CartItem, Catalog, Product).join(Catalog).switch(CartItem).join(Product)
                 .where(CartItem.user == user).order_by(Catalog.name, Product.name))
    stale = [item.id for item in items
             if item.catalog_id not in visible or not browse.product_in_catalog(item.product_id, item.catalog_id)]
    if stale:
        CartItem.delete().where(CartItem.id.in_(stale)).execute()
    result: dict[int, Group] = {}
    for item in items:
        if item.id in stale:
            continue
        if item.catalog_id not in result:
            result[item.catalog_id] = Group(item.catalog, [], browse.plans_of(item.catalog))
        result[item.catalog_id].items.append(item)
    return list(result.values())
