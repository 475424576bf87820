// A trace's assessments: feedback (a judgement, with a rationale) and expectations (the
// right answer), listed with their source, and added, edited and deleted through the
// assessments endpoints. Feedback another one overrode shows as "overridden". Issues (MLflow
// 3.17's links from a trace to a discovered issue) show their name, id and the run that found
// them; like MLflow's own UI this one does not edit them, it only deletes them.

import { traces } from "../api.js";
import { h, replace } from "../dom.js";
import { formatTime } from "../format.js";
import { jsonView } from "../json-view.js";
import { href, seg } from "../router.js";
import { assessmentValue, oneLine, parseTyped, timeMs } from "../trace-model.js";
import { confirmDialog, dialog } from "../widgets.js";

const SOURCE = { source_type: "HUMAN", source_id: "trackyard web UI" };
const VALUE_HINT = 'true, 0.8, "text" or any JSON';

/**
 * The assessments panel's body (`experimentId` for links to runs); `reload()` fetches the
 * trace's info again and redraws it.
 * `may` ({edit, manage}) says which controls to offer: adding and editing need EDIT on the
 * trace's experiment, deleting MANAGE.
 */
export function assessmentsBox({ experimentId, traceId, assessments, reload, may }) {
  const box = h("div", { class: "col", "data-role": "assessments" });
  replace(
    box,
    assessments.length
      ? h(
          "table",
          { class: "data assessments" },
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              ["Name", "Value", "Rationale", "Source", "Updated", ""].map((label) => h("th", null, label)),
            ),
          ),
          h(
            "tbody",
            null,
            assessments.map((a) => assessmentRow(a, { experimentId, traceId, reload, may })),
          ),
        )
      : h("div", { class: "muted" }, "No assessments yet."),
    may.edit
      ? h(
          "div",
          { class: "row" },
          h(
            "button",
            { onclick: () => edit({ traceId, reload, kind: "feedback" }), "data-role": "add-feedback" },
            "Add feedback",
          ),
          h(
            "button",
            { onclick: () => edit({ traceId, reload, kind: "expectation" }), "data-role": "add-expectation" },
            "Add expectation",
          ),
        )
      : null,
  );
  return box;
}

function assessmentRow(assessment, { experimentId, traceId, reload, may }) {
  const { kind, value, error, issue } = assessmentValue(assessment);
  const source = assessment.source || {};
  const overridden = assessment.valid === false;
  return h(
    "tr",
    {
      class: overridden ? "overridden" : null,
      dataset: { assessment: assessment.assessment_name || "", kind },
    },
    h(
      "td",
      null,
      h("div", null, issue ? issue.name : assessment.assessment_name),
      h(
        "div",
        { class: "row small" },
        h("span", { class: "badge" }, kind),
        overridden ? h("span", { class: "badge" }, "overridden") : null,
      ),
    ),
    h(
      "td",
      { class: "value" },
      error
        ? h("span", { class: "danger-text" }, error.error_message || error.error_code || "error")
        : issue
          ? issueCell(issue, experimentId)
          : valueCell(value),
    ),
    h("td", { class: "value" }, assessment.rationale || ""),
    h("td", { class: "small" }, [source.source_type, source.source_id].filter(Boolean).join(" · ")),
    h("td", { class: "nowrap small" }, formatTime(timeMs(assessment.last_update_time || assessment.create_time))),
    h(
      "td",
      { class: "nowrap" },
      may.edit && kind !== "issue"
        ? h("button", { class: "link", onclick: () => edit({ traceId, reload, kind, assessment }) }, "Edit")
        : null,
      may.manage
        ? h("button", { class: "link danger", onclick: () => remove({ traceId, reload, assessment }) }, "Delete")
        : null,
    ),
  );
}

/**
 * An issue's id and the run that found it (a link to the run), each cut to 12 characters to
 * fit the cell, whole in its title.
 */
function issueCell(issue, experimentId) {
  const runHref = issue.runId ? href(`/experiments/${seg(experimentId)}/runs/${seg(issue.runId)}`) : null;
  return h(
    "div",
    { class: "small", "data-role": "issue" },
    h("div", { class: "muted" }, "Issue ID"),
    h("div", { class: "mono nowrap", title: issue.id }, oneLine(issue.id, 12)),
    runHref ? h("div", { class: "muted" }, "Found in run") : null,
    runHref ? h("a", { class: "mono nowrap", title: issue.runId, href: runHref }, oneLine(issue.runId, 12)) : null,
  );
}

function valueCell(value) {
  if (value !== null && typeof value === "object") return jsonView(value, { openDepth: 1 });
  return h("span", { class: "mono" }, value === undefined ? "" : JSON.stringify(value));
}

async function edit({ traceId, reload, kind, assessment }) {
  const current = assessment ? assessmentValue(assessment).value : undefined;
  const fields = [
    { name: "name", label: "Name", value: assessment?.assessment_name || "", placeholder: "correctness" },
    {
      name: "value",
      label: `Value (${VALUE_HINT})`,
      value: current === undefined ? "" : JSON.stringify(current),
      placeholder: VALUE_HINT,
    },
  ];
  if (kind === "feedback") {
    fields.push({ name: "rationale", label: "Rationale", value: assessment?.rationale || "", multiline: true });
  }
  const saved = await dialog({
    title: `${assessment ? "Edit" : "Add"} ${kind}`,
    fields,
    submit: async ({ name, value, rationale }) => {
      if (!name.trim()) throw new Error(`A ${kind} needs a name.`);
      if (!value.trim()) throw new Error(`A ${kind} needs a value.`);
      const body = { assessment_name: name.trim(), [kind]: { value: parseTyped(value) } };
      if (kind === "feedback") body.rationale = rationale || undefined;
      if (!assessment) {
        await traces.createAssessment(traceId, { ...body, source: SOURCE });
        return;
      }
      const mask = ["assessment_name", kind, ...(kind === "feedback" ? ["rationale"] : [])];
      await traces.updateAssessment(traceId, assessment.assessment_id, body, mask);
    },
  });
  if (saved) reload();
}

async function remove({ traceId, reload, assessment }) {
  const done = await confirmDialog("Delete assessment", `Delete "${assessment.assessment_name}"?`, "Delete", () =>
    traces.deleteAssessment(traceId, assessment.assessment_id),
  );
  if (done) reload();
}
