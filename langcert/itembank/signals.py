"""Any change to an item makes the adaptive test rebuild that skill's bank."""

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from langcert.itembank.models import Item


@receiver([post_save, post_delete], sender=Item)
def forget_bank_version(sender, instance: Item, **kwargs) -> None:
    from langcert.delivery.adaptive import bank_version_key

    cache.delete(bank_version_key(instance.language_id, instance.skill))
