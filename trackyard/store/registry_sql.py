"""The model registry on SQL, sharing the tracking store's `Database`."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import already_exists, invalid, not_found
from ..messages.registry import ModelVersion, RegisteredModel, RegisteredModelAlias
from ..messages.tracking import KeyValue
from ..paging import decode_token, next_token
from ..search.grammar import Clause, OrderKey
from .db import Database, Dialect, NamedRow, Tx, UniqueViolation, chunks, now_ms, placeholders
from .search_sql import Query, Visible, compare, direction, restrict

STAGE_NONE, STAGE_ARCHIVED, STAGE_DELETED = "None", "Archived", "Deleted_Internal"
ALL_STAGES = ("None", "Staging", "Production", "Archived")
READY = "READY"
IS_PROMPT_TAG = "mlflow.prompt.is_prompt"

_MODEL_SELECT = (
    "SELECT m.id, m.name, m.creation_time, m.last_updated_time, m.description "
    "FROM registered_models m"
)
_VERSION_SELECT = (
    "SELECT v.model_id, m.name, v.version, v.creation_time, v.last_updated_time, "
    "v.description, v.user_id, v.current_stage, v.source, v.run_id, v.run_link, v.status, "
    "v.status_message, v.logged_model_id FROM model_versions v "
    "JOIN registered_models m ON m.id = v.model_id"
)
_MODEL_ORDER = {
    "name": "m.name",
    "last_updated_timestamp": "m.last_updated_time",
    "creation_timestamp": "m.creation_time",
}
_VERSION_ORDER = {
    "name": "m.name",
    "version_number": "v.version",
    "creation_timestamp": "v.creation_time",
    "last_updated_timestamp": "v.last_updated_time",
}
_VERSION_COLUMNS = {"name": "m.name", "run_id": "v.run_id", "source_path": "v.source"}
_DEFAULT_VERSION_ORDER = (
    OrderKey("attribute", "last_updated_timestamp", False),
    OrderKey("attribute", "name", True),
    OrderKey("attribute", "version_number", False),
)


def _model_not_found(name: str):
    return not_found(f"Registered Model with name={name} not found")


def _version_not_found(name: str, version: int):
    return not_found(f"Model Version (name={name}, version={version}) not found")


class SqlRegistryStore:
    """Implements registry_interface.RegistryStore."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # ================================================================== reading entities

    @staticmethod
    def _model_key(tx: Tx, name: str) -> int:
        key = tx.scalar("SELECT id FROM registered_models WHERE name = ?", (name,))
        if key is None:
            raise _model_not_found(name)
        return key

    @staticmethod
    def _version_row(tx: Tx, name: str, version: int) -> NamedRow:
        row = tx.row(
            f"{_VERSION_SELECT} WHERE m.name = ? AND v.version = ? AND v.current_stage != ?",
            (name, version, STAGE_DELETED),
        )
        if row is None:
            raise _version_not_found(name, version)
        return row

    def _versions(self, tx: Tx, rows: Sequence[NamedRow]) -> list[ModelVersion]:
        """Whole versions (tags, aliases) for version rows, in a fixed number of queries."""
        versions = {(row.model_id, row.version): _version(row) for row in rows}
        model_keys = list({row.model_id for row in rows})
        numbers = list({row.version for row in rows})
        for ids in chunks(model_keys):
            marks = placeholders(len(ids))
            for batch in chunks(numbers):
                # Models x numbers covers the wanted pairs, and rarely much more.
                for model_key, version, key, value in tx.all(
                    "SELECT model_id, version, key, value FROM model_version_tags "
                    f"WHERE model_id IN ({marks}) "
                    f"AND version IN ({placeholders(len(batch))}) ORDER BY key",
                    [*ids, *batch],
                ):
                    if (model_key, version) in versions:
                        tag = KeyValue(key=key, value=value)
                        versions[(model_key, version)].tags.append(tag)
            for model_key, alias, version in tx.all(
                "SELECT model_id, alias, version FROM registered_model_aliases "
                f"WHERE model_id IN ({marks}) ORDER BY alias",
                ids,
            ):
                if (model_key, version) in versions:
                    versions[(model_key, version)].aliases.append(alias)
        return [versions[(row.model_id, row.version)] for row in rows]

    def _version(self, tx: Tx, name: str, version: int) -> ModelVersion:
        return self._versions(tx, [self._version_row(tx, name, version)])[0]

    def _models(self, tx: Tx, rows: Sequence[NamedRow]) -> list[RegisteredModel]:
        """Whole registered models: tags, aliases and the latest version of each stage."""
        models = {
            row.id: RegisteredModel(
                name=row.name,
                creation_timestamp=row.creation_time,
                last_updated_timestamp=row.last_updated_time,
                description=row.description,
            )
            for row in rows
        }
        for ids in chunks(list(models)):
            marks = placeholders(len(ids))
            for model_key, key, value in tx.all(
                "SELECT model_id, key, value FROM registered_model_tags "
                f"WHERE model_id IN ({marks}) ORDER BY key",
                ids,
            ):
                models[model_key].tags.append(KeyValue(key=key, value=value))
            for model_key, alias, version in tx.all(
                "SELECT model_id, alias, version FROM registered_model_aliases "
                f"WHERE model_id IN ({marks}) ORDER BY alias",
                ids,
            ):
                models[model_key].aliases.append(
                    RegisteredModelAlias(alias=alias, version=str(version))
                )
            latest = tx.rows(
                f"{_VERSION_SELECT} JOIN (SELECT model_id, MAX(version) AS version "
                f"FROM model_versions WHERE model_id IN ({marks}) AND current_stage != ? "
                "GROUP BY model_id, current_stage) l "
                "ON l.model_id = v.model_id AND l.version = v.version ORDER BY v.version",
                [*ids, STAGE_DELETED],
            )
            for row, version in zip(latest, self._versions(tx, latest), strict=True):
                models[row.model_id].latest_versions.append(version)
        return [models[row.id] for row in rows]

    def _model(self, tx: Tx, name: str) -> RegisteredModel:
        row = tx.row(f"{_MODEL_SELECT} WHERE m.name = ?", (name,))
        if row is None:
            raise _model_not_found(name)
        return self._models(tx, [row])[0]

    # ================================================================== registered models

    def create_registered_model(
        self, name: str, tags: Sequence[KeyValue], description: str | None
    ) -> RegisteredModel:
        created = now_ms()
        with self.db.write() as tx:
            model_key = tx.scalar(
                "INSERT INTO registered_models (name, creation_time, last_updated_time, "
                "description) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
                (name, created, created, description),
            )
            if model_key is None:
                raise already_exists(_name_taken_message(tx, name, tags))
            latest = {tag.key: tag.value for tag in tags}
            tx.many(
                "INSERT INTO registered_model_tags (model_id, key, value) VALUES (?, ?, ?)",
                [(model_key, key, value) for key, value in latest.items()],
            )
            return self._model(tx, name)

    def get_registered_model(self, name: str) -> RegisteredModel:
        with self.db.read() as tx:
            return self._model(tx, name)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        taken_message = f"Registered Model (name={new_name}) already exists."
        try:
            with self.db.write() as tx:
                model_key = self._model_key(tx, name)
                taken = tx.scalar("SELECT id FROM registered_models WHERE name = ?", (new_name,))
                if taken is not None and taken != model_key:
                    raise already_exists(taken_message)
                updated = now_ms()
                tx.execute(
                    "UPDATE registered_models SET name = ?, last_updated_time = ? WHERE id = ?",
                    (new_name, updated, model_key),
                )
                tx.execute(
                    "UPDATE model_versions SET last_updated_time = ? WHERE model_id = ? "
                    "AND current_stage != ?",
                    (updated, model_key, STAGE_DELETED),
                )
                return self._model(tx, new_name)
        except UniqueViolation as error:  # another writer took the name after the check
            raise already_exists(taken_message) from error

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        with self.db.write() as tx:
            model_key = self._model_key(tx, name)
            tx.execute(
                "UPDATE registered_models SET description = COALESCE(?, description), "
                "last_updated_time = ? WHERE id = ?",
                (description, now_ms(), model_key),
            )
            return self._model(tx, name)

    def delete_registered_model(self, name: str) -> None:
        with self.db.write() as tx:
            model_key = self._model_key(tx, name)
            for table in (
                "registered_model_aliases",
                "model_version_tags",
                "model_versions",
                "registered_model_tags",
            ):
                tx.execute(f"DELETE FROM {table} WHERE model_id = ?", (model_key,))
            # Its grants go with it (a new model of that name starts with none of them).
            tx.execute(
                "DELETE FROM grants WHERE resource_type = 'registered_model' AND resource_key = ?",
                (model_key,),
            )
            tx.execute("DELETE FROM registered_models WHERE id = ?", (model_key,))

    def search_registered_models(
        self,
        clauses: Sequence[Clause],
        max_results: int,
        order_by: Sequence[OrderKey],
        page_token: str,
        visible: Visible | None = None,
    ) -> tuple[list[RegisteredModel], str | None]:
        offset = decode_token(page_token)
        query = Query()
        restrict(query, visible, "m.id")
        _prompt_scope(clauses, "m.id", query)
        for clause in clauses:
            if clause.entity == "tag":
                if clause.key != IS_PROMPT_TAG or _asks_for_prompts(clause):
                    _tag_exists(
                        "registered_model_tags", "x.model_id = m.id", clause, self.db.dialect, query
                    )
                continue
            condition, params = compare(self.db.dialect, "m.name", clause.comparator, clause.value)
            query.add_where(condition, *params)
        query.order = _ordering(order_by, _MODEL_ORDER, ("name",), ("m.name ASC",))
        with self.db.read() as tx:
            rows = tx.rows(
                f"{_MODEL_SELECT} WHERE {query.where_sql()} ORDER BY {', '.join(query.order)} "
                "LIMIT ? OFFSET ?",
                [*query.params, max_results + 1, offset],
            )
            models = self._models(tx, rows[:max_results])
        return models, next_token(offset, max_results, len(rows))

    def get_latest_versions(self, name: str, stages: Sequence[str]) -> list[ModelVersion]:
        wanted = set(stages or ALL_STAGES)
        with self.db.read() as tx:
            model = self._model(tx, name)
        return [version for version in model.latest_versions if version.current_stage in wanted]

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        with self.db.write() as tx:
            tx.execute(
                "INSERT INTO registered_model_tags (model_id, key, value) VALUES (?, ?, ?) "
                "ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value",
                (self._model_key(tx, name), key, value),
            )

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        with self.db.write() as tx:
            tx.execute(
                "DELETE FROM registered_model_tags WHERE model_id = ? AND key = ?",
                (self._model_key(tx, name), key),
            )

    # ================================================================== model versions

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
        created = now_ms()
        with self.db.write() as tx:
            # Updating the model row first takes its lock: concurrent creators of versions
            # of one model queue here, so each reads the maximum the previous one wrote.
            model_key = tx.scalar(
                "UPDATE registered_models SET last_updated_time = ? WHERE name = ? RETURNING id",
                (created, name),
            )
            if model_key is None:
                raise _model_not_found(name)
            version = tx.scalar(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE model_id = ?",
                (model_key,),
            )
            tx.execute(
                "INSERT INTO model_versions (model_id, version, creation_time, "
                "last_updated_time, description, current_stage, source, storage_location, "
                "run_id, run_link, status, logged_model_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    model_key,
                    version,
                    created,
                    created,
                    description,
                    STAGE_NONE,
                    source,
                    storage_location,
                    run_id or None,
                    run_link or None,
                    READY,
                    logged_model_id or None,
                ),
            )
            latest = {tag.key: tag.value for tag in tags}
            tx.many(
                "INSERT INTO model_version_tags (model_id, version, key, value) "
                "VALUES (?, ?, ?, ?)",
                [(model_key, version, key, value) for key, value in latest.items()],
            )
            return self._version(tx, name, version)

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        with self.db.read() as tx:
            return self._version(tx, name, version)

    def update_model_version(
        self, name: str, version: int, description: str | None
    ) -> ModelVersion:
        with self.db.write() as tx:
            row = self._version_row(tx, name, version)
            tx.execute(
                "UPDATE model_versions SET description = COALESCE(?, description), "
                "last_updated_time = ? WHERE model_id = ? AND version = ?",
                (description, now_ms(), row.model_id, version),
            )
            return self._version(tx, name, version)

    def transition_model_version_stage(
        self, name: str, version: int, stage: str, archive_existing_versions: bool
    ) -> ModelVersion:
        updated = now_ms()
        with self.db.write() as tx:
            row = self._version_row(tx, name, version)
            if archive_existing_versions:
                tx.execute(
                    "UPDATE model_versions SET current_stage = ?, last_updated_time = ? "
                    "WHERE model_id = ? AND version != ? AND current_stage = ?",
                    (STAGE_ARCHIVED, updated, row.model_id, version, stage),
                )
            tx.execute(
                "UPDATE model_versions SET current_stage = ?, last_updated_time = ? "
                "WHERE model_id = ? AND version = ?",
                (stage, updated, row.model_id, version),
            )
            tx.execute(
                "UPDATE registered_models SET last_updated_time = ? WHERE id = ?",
                (updated, row.model_id),
            )
            return self._version(tx, name, version)

    def delete_model_version(self, name: str, version: int) -> None:
        updated = now_ms()
        with self.db.write() as tx:
            model_key = self._version_row(tx, name, version).model_id
            scope = (model_key, version)
            tx.execute(
                "DELETE FROM registered_model_aliases WHERE model_id = ? AND version = ?", scope
            )
            tx.execute("DELETE FROM model_version_tags WHERE model_id = ? AND version = ?", scope)
            # The row stays, redacted, so the version number is never reused.
            tx.execute(
                "UPDATE model_versions SET current_stage = ?, last_updated_time = ?, "
                "description = NULL, user_id = NULL, source = ?, storage_location = NULL, "
                "run_id = ?, run_link = ?, status_message = NULL, logged_model_id = NULL "
                "WHERE model_id = ? AND version = ?",
                (
                    STAGE_DELETED,
                    updated,
                    "REDACTED-SOURCE-PATH",
                    "REDACTED-RUN-ID",
                    "REDACTED-RUN-LINK",
                    *scope,
                ),
            )
            tx.execute(
                "UPDATE registered_models SET last_updated_time = ? WHERE id = ?",
                (updated, model_key),
            )

    def get_model_version_download_uri(self, name: str, version: int) -> str:
        with self.db.read() as tx:
            row = self._version_row(tx, name, version)
            location = tx.scalar(
                "SELECT storage_location FROM model_versions WHERE model_id = ? AND version = ?",
                (row.model_id, version),
            )
        return location or row.source

    def search_model_versions(
        self,
        clauses: Sequence[Clause],
        max_results: int,
        order_by: Sequence[OrderKey],
        page_token: str,
        visible: Visible | None = None,
    ) -> tuple[list[ModelVersion], str | None]:
        offset = decode_token(page_token)
        query = Query()
        restrict(query, visible, "v.model_id")
        query.add_where("v.current_stage != ?", STAGE_DELETED)
        _prompt_scope(clauses, "v.model_id", query, versions=True)
        for clause in clauses:
            self._version_filter(clause, query)
        query.order = _ordering(
            order_by or _DEFAULT_VERSION_ORDER,
            _VERSION_ORDER,
            ("name", "version_number"),
            ("m.name ASC", "v.version DESC"),
        )
        with self.db.read() as tx:
            rows = tx.rows(
                f"{_VERSION_SELECT} WHERE {query.where_sql()} ORDER BY {', '.join(query.order)} "
                "LIMIT ? OFFSET ?",
                [*query.params, max_results + 1, offset],
            )
            versions = self._versions(tx, rows[:max_results])
        return versions, next_token(offset, max_results, len(rows))

    def _version_filter(self, clause: Clause, query: Query) -> None:
        if clause.entity == "tag":
            if clause.key != IS_PROMPT_TAG or _asks_for_prompts(clause):
                _tag_exists(
                    "model_version_tags",
                    "x.model_id = v.model_id AND x.version = v.version",
                    clause,
                    self.db.dialect,
                    query,
                )
            return
        if clause.key == "version_number":
            if not isinstance(clause.value, int):
                raise invalid(f"Invalid version_number {clause.value}: not an integer")
            query.add_where(f"v.version {clause.comparator} ?", clause.value)
            return
        column = _VERSION_COLUMNS[clause.key]
        condition, params = compare(self.db.dialect, column, clause.comparator, clause.value)
        query.add_where(condition, *params)

    def set_model_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        with self.db.write() as tx:
            model_key = self._version_row(tx, name, version).model_id
            tx.execute(
                "INSERT INTO model_version_tags (model_id, version, key, value) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (model_id, version, key) "
                "DO UPDATE SET value = excluded.value",
                (model_key, version, key, value),
            )

    def delete_model_version_tag(self, name: str, version: int, key: str) -> None:
        with self.db.write() as tx:
            model_key = self._version_row(tx, name, version).model_id
            tx.execute(
                "DELETE FROM model_version_tags WHERE model_id = ? AND version = ? AND key = ?",
                (model_key, version, key),
            )

    # ================================================================== aliases

    def set_registered_model_alias(self, name: str, alias: str, version: int) -> None:
        with self.db.write() as tx:
            model_key = self._version_row(tx, name, version).model_id
            tx.execute(
                "INSERT INTO registered_model_aliases (model_id, alias, version) "
                "VALUES (?, ?, ?) ON CONFLICT (model_id, alias) "
                "DO UPDATE SET version = excluded.version",
                (model_key, alias, version),
            )

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        with self.db.write() as tx:
            tx.execute(
                "DELETE FROM registered_model_aliases WHERE model_id = ? AND alias = ?",
                (self._model_key(tx, name), alias),
            )

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        with self.db.read() as tx:
            model_key = self._model_key(tx, name)
            if alias.lower() == "latest":
                version = tx.scalar(
                    "SELECT MAX(version) FROM model_versions WHERE model_id = ? "
                    "AND current_stage != ?",
                    (model_key, STAGE_DELETED),
                )
                if version is None:
                    raise not_found(f"Latest version not found for model {name}.")
            else:
                version = tx.scalar(
                    "SELECT version FROM registered_model_aliases WHERE model_id = ? AND alias = ?",
                    (model_key, alias),
                )
                if version is None:
                    # MLflow's code for an unknown alias; clients may test for it.
                    raise invalid(f"Registered model alias {alias} not found.")
            return self._version(tx, name, version)


# ====================================================================== helpers


def _version(row: NamedRow) -> ModelVersion:
    """A version from its row of _VERSION_SELECT, without tags and aliases."""
    return ModelVersion(
        name=row.name,
        version=str(row.version),
        creation_timestamp=row.creation_time,
        last_updated_timestamp=row.last_updated_time,
        description=row.description,
        user_id=row.user_id,
        current_stage=row.current_stage,
        source=row.source,
        run_id=row.run_id,
        run_link=row.run_link,
        status=row.status,
        status_message=row.status_message,
        model_id=row.logged_model_id,
    )


def _name_taken_message(tx: Tx, name: str, tags: Sequence[KeyValue]) -> str:
    """MLflow says which kind holds the name when a prompt and a model collide."""
    existing = tx.scalar(
        "SELECT t.value FROM registered_model_tags t JOIN registered_models m "
        "ON m.id = t.model_id WHERE m.name = ? AND t.key = ?",
        (name, IS_PROMPT_TAG),
    )
    old = "Prompt" if (existing or "").lower() == "true" else "Registered Model"
    wanted = {tag.key: tag.value for tag in tags}.get(IS_PROMPT_TAG) or ""
    new = "Prompt" if wanted.lower() == "true" else "Registered Model"
    if old != new:
        return (
            f"Tried to create a {new.lower()} with name '{name}', but the name is already "
            f"taken by a {old.lower()}. A model and a prompt cannot have the same name."
        )
    return f"{new} (name={name}) already exists."


def _asks_for_prompts(clause: Clause) -> bool:
    """`= 'true'` and `!= 'false'` on the prompt tag select prompts; MLflow's rule."""
    value = str(clause.value).lower()
    return (clause.comparator == "=" and value == "true") or (
        clause.comparator == "!=" and value == "false"
    )


def _prompt_scope(clauses: Sequence[Clause], model_key: str, query: Query, versions=False):
    """Prompts are registered models tagged as such; searches leave them out unless asked.

    Models carry no prompt tag at all, so ``tags.`mlflow.prompt.is_prompt` != 'true'`` (what
    the stock client sends) cannot be an ordinary tag filter: it would match nothing.
    """
    if any(c.entity == "tag" and c.key == IS_PROMPT_TAG and _asks_for_prompts(c) for c in clauses):
        return
    table = "model_version_tags" if versions else "registered_model_tags"
    query.add_where(
        f"{model_key} NOT IN (SELECT p.model_id FROM {table} p WHERE p.key = ? AND "
        "LOWER(p.value) = 'true')",
        IS_PROMPT_TAG,
    )


def _tag_exists(table: str, owner: str, clause: Clause, dialect: Dialect, query: Query) -> None:
    """Tag clauses need the tag to exist: `!=` does not match a model without it."""
    condition, params = compare(dialect, "x.value", clause.comparator, clause.value)
    query.add_where(
        f"EXISTS (SELECT 1 FROM {table} x WHERE {owner} AND x.key = ? AND {condition})",
        clause.key,
        *params,
    )


def _ordering(
    order_by: Sequence[OrderKey],
    columns: dict[str, str],
    tie_breakers: Sequence[str],
    tie_breaker_sql: Sequence[str],
) -> list[str]:
    """The requested keys, each at most once, then the tie-breakers not already used."""
    seen: set[str] = set()
    order = []
    for key in order_by:
        column = columns[key.key]
        if column in seen:
            raise invalid(f"`order_by` contains duplicate fields: {[k.key for k in order_by]}")
        seen.add(column)
        order.append(f"{column} {direction(key.ascending)}")
    for tie_breaker, sql in zip(tie_breakers, tie_breaker_sql, strict=True):
        if columns[tie_breaker] not in seen:
            order.append(sql)
    return order
