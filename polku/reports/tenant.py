"""Which rows belong to a tenant: every installed model with a foreign-key path to Organisation.

Used by the organisation delete (remove everything of a tenant), by the organisation export's
coverage check and by the tests that prove no row of a deleted tenant remains.
"""

from collections import deque
from dataclasses import dataclass
from functools import cache

from django.apps import apps
from django.db import models

from polku.organisations.models import Organisation


@dataclass(frozen=True)
class TenantModel:
    model: type[models.Model]
    lookup: str  # queryset filter path to the organisation's primary key, e.g. "path__organisation"
    depth: int

    @property
    def label(self) -> str:
        return self.model._meta.label


def _forward_fks(model: type[models.Model]) -> list[models.ForeignKey]:
    return [
        f
        for f in model._meta.get_fields()
        if isinstance(f, models.ForeignKey) and f.related_model is not None
    ]


@cache
def tenant_models() -> tuple[TenantModel, ...]:
    """Every model (auto-created M2M tables included) that reaches Organisation by FKs.

    The shortest path wins; paths through nullable FKs count too (a row whose FK is null then
    does not belong to any tenant by that path). Ordered by depth, Organisation itself first.
    """
    all_models = list(apps.get_models(include_auto_created=True))
    found: dict[type[models.Model], TenantModel] = {
        Organisation: TenantModel(Organisation, "pk", 0)
    }
    reverse: dict[type[models.Model], list[tuple[type[models.Model], models.ForeignKey]]] = {}
    for model in all_models:
        for fk in _forward_fks(model):
            target = fk.related_model
            if target is model:
                continue
            reverse.setdefault(target, []).append((model, fk))  # type: ignore[arg-type]
    # First through required FKs only (every row has the path), then through nullable ones.
    for allow_null in (False, True):
        queue: deque[type[models.Model]] = deque(found)
        while queue:
            target = queue.popleft()
            base = found[target]
            for model, fk in reverse.get(target, []):
                if model in found or (fk.null and not allow_null):
                    continue
                lookup = fk.name if base.lookup == "pk" else f"{fk.name}__{base.lookup}"
                found[model] = TenantModel(model, lookup, base.depth + 1)
                queue.append(model)
    return tuple(sorted(found.values(), key=lambda t: (t.depth, t.label)))


def tenant_rows(tenant_model: TenantModel, organisation_id: int) -> models.QuerySet:
    return tenant_model.model._default_manager.filter(**{tenant_model.lookup: organisation_id})
