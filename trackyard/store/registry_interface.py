"""The model registry interface: registered models, their versions, tags and aliases; a
Protocol, implemented by store/registry_sql.py's SqlRegistryStore.

Kept apart from `TrackingStore` as MLflow keeps them apart: a registry can live in another
database than tracking. Arguments arrive validated (names, stages, alias syntax, tag sizes);
stores raise `ApiError` for what only they know: unknown names and versions, name clashes.
Versions are integers here; the wire spells them as strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..messages.registry import ModelVersion, RegisteredModel
from ..messages.tracking import KeyValue
from ..search.grammar import Clause, OrderKey
from .search_sql import Visible


class RegistryStore(Protocol):
    # -------------------------------------------------------------- registered models
    def create_registered_model(
        self, name: str, tags: Sequence[KeyValue], description: str | None
    ) -> RegisteredModel: ...

    def get_registered_model(self, name: str) -> RegisteredModel: ...

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel: ...

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel: ...

    def delete_registered_model(self, name: str) -> None:
        """Removes the model with all its versions, tags and aliases; the name is free again."""

    def search_registered_models(
        self,
        clauses: Sequence[Clause],
        max_results: int,
        order_by: Sequence[OrderKey],
        page_token: str,
        visible: Visible | None = None,
    ) -> tuple[list[RegisteredModel], str | None]:
        """`visible`: the caller's read condition on the model's id (access control)."""
        ...

    def get_latest_versions(self, name: str, stages: Sequence[str]) -> list[ModelVersion]:
        """The newest version in each of `stages` (canonical spellings; empty means all)."""

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None: ...

    def delete_registered_model_tag(self, name: str, key: str) -> None: ...

    # -------------------------------------------------------------- model versions
    def create_model_version(
        self,
        name: str,
        source: str,
        storage_location: str,
        run_id: str | None,
        tags: Sequence[KeyValue],
        run_link: str | None,
        description: str | None,
        logged_model_id: str | None,
    ) -> ModelVersion:
        """The next version number of `name`, READY at once (nothing is copied)."""

    def get_model_version(self, name: str, version: int) -> ModelVersion: ...

    def update_model_version(
        self, name: str, version: int, description: str | None
    ) -> ModelVersion: ...

    def transition_model_version_stage(
        self, name: str, version: int, stage: str, archive_existing_versions: bool
    ) -> ModelVersion: ...

    def delete_model_version(self, name: str, version: int) -> None:
        """Its number stays taken; its aliases go."""

    def get_model_version_download_uri(self, name: str, version: int) -> str: ...

    def search_model_versions(
        self,
        clauses: Sequence[Clause],
        max_results: int,
        order_by: Sequence[OrderKey],
        page_token: str,
        visible: Visible | None = None,
    ) -> tuple[list[ModelVersion], str | None]: ...

    def set_model_version_tag(self, name: str, version: int, key: str, value: str) -> None: ...

    def delete_model_version_tag(self, name: str, version: int, key: str) -> None: ...

    # -------------------------------------------------------------- aliases
    def set_registered_model_alias(self, name: str, alias: str, version: int) -> None: ...

    def delete_registered_model_alias(self, name: str, alias: str) -> None: ...

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """`latest` (any case) is the newest version; other aliases must have been set."""
