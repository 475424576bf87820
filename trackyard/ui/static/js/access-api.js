// Access control's REST calls (`trackyard server --auth`): MLflow's users and grants API, and
// trackyard's tokens and per-resource grants. Each is also under /api for scripts.

import { request } from "./api.js";

const USERS = "ajax-api/2.0/mlflow/users";
const GRANTS = "ajax-api/3.0/mlflow/users/permissions";
const OWN = "ajax-api/2.0/trackyard";

export const users = {
  list: () => request("GET", `${USERS}/list`).then((r) => r.users || []),
  create: (username, password) => request("POST", `${USERS}/create`, { body: { username, password } }),
  setPassword: (username, password) => request("PATCH", `${USERS}/update-password`, { body: { username, password } }),
  /** The signed-in user's own password: the server asks for the current one. */
  changeOwnPassword: (username, currentPassword, password) =>
    request("PATCH", `${USERS}/update-password`, { body: { username, password, current_password: currentPassword } }),
  setAdmin: (username, isAdmin) => request("PATCH", `${USERS}/update-admin`, { body: { username, is_admin: isAdmin } }),
  delete: (username) => request("DELETE", `${USERS}/delete`, { body: { username } }),
};

const ROLES = "ajax-api/3.0/mlflow/roles";

/** Roles (admins): named sets of grants assigned to users. */
export const roles = {
  list: () => request("GET", `${ROLES}/list`).then((r) => r.roles || []),
  create: (name, description) => request("POST", `${ROLES}/create`, { body: { name, description } }),
  delete: (roleId) => request("DELETE", `${ROLES}/delete`, { body: { role_id: roleId } }),
  members: (roleId) =>
    request("GET", `${ROLES}/users/list`, { query: { role_id: roleId } }).then((r) => r.assignments || []),
  assign: (roleId, username) => request("POST", `${ROLES}/assign`, { body: { role_id: roleId, username } }),
  unassign: (roleId, username) => request("DELETE", `${ROLES}/unassign`, { body: { role_id: roleId, username } }),
};

export const grants = {
  /** Every grant on one resource, and the permission of everyone else signed in. */
  onResource: (resourceType, resourceId) =>
    request("GET", `${OWN}/permissions/resource`, {
      query: { resource_type: resourceType, resource_id: resourceId },
    }),
  grant: (username, resourceType, resourceId, permission) =>
    request("POST", `${GRANTS}/grant`, {
      body: { username, resource_type: resourceType, resource_id: resourceId, permission },
    }),
  revoke: (username, resourceType, resourceId) =>
    request("POST", `${GRANTS}/revoke`, { body: { username, resource_type: resourceType, resource_id: resourceId } }),
};

export const tokens = {
  list: () => request("GET", `${OWN}/tokens/list`).then((r) => r.tokens || []),
  /** `expiryTime`: milliseconds since the epoch, or null for a token that lives until revoked. */
  create: (name, expiryTime) =>
    request("POST", `${OWN}/tokens/create`, { body: { name, expiry_time: expiryTime ?? undefined } }),
  revoke: (id) => request("POST", `${OWN}/tokens/revoke`, { body: { id } }),
};
