"""The model registry interface: registered models, their versions, tags and aliases.

Kept apart from `TrackingStore` as MLflow keeps them apart: a registry can live in another
database than tracking. Arguments arrive validated (names, stages, alias syntax, tag sizes);
stores raise `ApiError` for what only they know: unknown names and versions, name clashes.
Versions are integers here; the wire spells them as strings.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from ..messages.registry import ModelVersion, RegisteredModel
from ..messages.tracking import KeyValue
from ..search.grammar import Clause, OrderKey


class RegistryStore(ABC):
    # -------------------------------------------------------------- registered models
    @abstractmethod
    def create_registered_model(
        self, name: str, tags: Sequence[KeyValue], description: str | None
    ) -> RegisteredModel: ...

    @abstractmethod
    def get_registered_model(self, name: str) -> RegisteredModel: ...

    @abstractmethod
    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel: ...

    @abstractmethod
    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel: ...

    @abstractmethod
    def delete_registered_model(self, name: str) -> None:
        """Removes the model with all its versions, tags and aliases; the name is free again."""

    @abstractmethod
    def search_registered_models(
        self,
        clauses: Sequence[Clause],
        max_results: int,
        order_by: Sequence[OrderKey],
        page_token: str,
    ) -> tuple[list[RegisteredModel], str | None]: ...

    @abstractmethod
    def get_latest_versions(self, name: str, stages: Sequence[str]) -> list[ModelVersion]:
        """The newest version in each of `stages` (canonical spellings; empty means all)."""

    @abstractmethod
    def set_registered_model_tag(self, name: str, key: str, value: str) -> None: ...

    @abstractmethod
    def delete_registered_model_tag(self, name: str, key: str) -> None: ...

    # -------------------------------------------------------------- model versions
    @abstractmethod
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

    @abstractmethod
    def get_model_version(self, name: str, version: int) -> ModelVersion: ...

    @abstractmethod
    def update_model_version(
        self, name: str, version: int, description: str | None
    ) -> ModelVersion: ...

    @abstractmethod
    def transition_model_version_stage(
        self, name: str, version: int, stage: str, archive_existing_versions: bool
    ) -> ModelVersion: ...

    @abstractmethod
    def delete_model_version(self, name: str, version: int) -> None:
        """Its number stays taken; its aliases go."""

    @abstractmethod
    def get_model_version_download_uri(self, name: str, version: int) -> str: ...

    @abstractmethod
    def search_model_versions(
        self,
        clauses: Sequence[Clause],
        max_results: int,
        order_by: Sequence[OrderKey],
        page_token: str,
    ) -> tuple[list[ModelVersion], str | None]: ...

    @abstractmethod
    def set_model_version_tag(self, name: str, version: int, key: str, value: str) -> None: ...

    @abstractmethod
    def delete_model_version_tag(self, name: str, version: int, key: str) -> None: ...

    # -------------------------------------------------------------- aliases
    @abstractmethod
    def set_registered_model_alias(self, name: str, alias: str, version: int) -> None: ...

    @abstractmethod
    def delete_registered_model_alias(self, name: str, alias: str) -> None: ...

    @abstractmethod
    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """`latest` (any case) is the newest version; other aliases must have been set."""
