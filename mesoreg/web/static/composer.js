// mesoreg composer: sends what the user types to the service and shows what it answers.
// No verdict, severity or rule is decided here: the report is shown as the service gives it.
// Hand-written, no library, no network but the service itself.
"use strict";

(function () {
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const csrf = () => $('meta[name="csrf-token"]').content;
  const SEVERITIES = ["contraindicated", "major", "moderate", "minor", "info"];
  const VERDICTS = {
    pass: "Pass: no finding",
    warn: "Warnings: read each finding",
    fail: "Fail: do not use as it is",
    "not-validated": "Not validated: something could not be checked",
  };

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== null && v !== undefined) node.setAttribute(k, v);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function debounce(fn, ms) {
    let timer = null;
    return (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), ms);
    };
  }

  function remember(id) {
    const input = document.getElementById(id);
    if (!input) return;
    input.value = sessionStorage.getItem("mesoreg-" + id) || input.value;
    input.addEventListener("change", () => sessionStorage.setItem("mesoreg-" + id, input.value));
  }

  async function write(url, body) {
    const status = $("#write-status");
    const token = $("#token").value.trim();
    status.textContent = "Sending…";
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "X-CSRF-Token": csrf(),
        ...(token ? { Authorization: "Bearer " + token } : {}),
      },
      body: JSON.stringify(body),
    });
    const data = await response.json();
    if (!response.ok) {
      status.replaceChildren(
        el("strong", {}, `Refused (${data.status} ${data.kind}):`),
        el("ul", {}, ...(data.errors || []).map((e) => el("li", {}, e.text)))
      );
      status.className = "refused";
      return null;
    }
    status.className = "done";
    return data;
  }

  // -- suggestions from the catalog ------------------------------------------------------

  const SUGGEST = {
    ingredient: (q) => `/api/catalog/search?q=${encodeURIComponent(q)}`,
    medication: (q) => `/api/catalog/search?q=${encodeURIComponent(q)}`,
    allergy: (q) => `/api/catalog/search?q=${encodeURIComponent(q)}`,
    condition: (q) => `/api/catalog/conditions?q=${encodeURIComponent(q)}`,
  };
  const KINDS = {
    ingredient: ["ingredient"],
    medication: ["drug", "medication_class"],
    allergy: ["allergen", "ingredient", "drug", "medication_class"],
    condition: null,
  };

  const suggest = debounce(async (input) => {
    const kind = input.dataset.suggest;
    const text = input.value.trim();
    if (!kind || text.length < 2) return;
    const response = await fetch(SUGGEST[kind](text));
    if (!response.ok) return;
    const rows = await response.json();
    const names = [];
    for (const row of rows) {
      if (KINDS[kind] && !KINDS[kind].includes(row.kind)) continue;
      for (const name of [row.name, ...(row.aliases || [])]) {
        if (name && !names.includes(name)) names.push(name);
      }
    }
    $("#dl-" + kind).replaceChildren(...names.slice(0, 30).map((n) => el("option", { value: n })));
  }, 150);

  // -- the composer ------------------------------------------------------------------------

  function field(root, name) {
    return $(`[data-f="${name}"]`, root);
  }

  function addCo(component, co) {
    const node = $("#t-co").content.firstElementChild.cloneNode(true);
    field(node, "ingredient").value = (co && co.ingredient) || "";
    field(node, "strength").value = (co && co.strength) || "";
    $(".co", component).append(node);
    return node;
  }

  function addComponent(syringe, c) {
    const node = $("#t-component").content.firstElementChild.cloneNode(true);
    for (const key of ["ingredient", "strength", "volume"]) field(node, key).value = (c && c[key]) || "";
    for (const co of (c && c.co_ingredients) || []) addCo(node, co);
    $("tbody", syringe).append(node);
    return node;
  }

  function addSyringe(p) {
    const node = $("#t-syringe").content.firstElementChild.cloneNode(true);
    const count = $$("#syringes .syringe").length + 1;
    field(node, "name").value = (p && p.name) || `syringe ${count}`;
    field(node, "per_session").value = p ? String(p.per_session) : "1";
    const components = (p && p.components) || [{}];
    for (const c of components) addComponent(node, c);
    $("#syringes").append(node);
    return node;
  }

  function addItem(list, value) {
    // a medication is {name, last_dose, classes}; a condition or an allergy a name
    const medication = list.dataset.list === "medications";
    const node = $(medication ? "#t-medication" : "#t-item").content.firstElementChild.cloneNode(true);
    const input = field(node, "name");
    if (medication && value && typeof value === "object") {
      input.value = value.name || "";
      field(node, "last_dose").value = value.last_dose || "";
      field(node, "classes").value = (value.classes || []).join(", ");
    } else {
      input.value = value || "";
    }
    input.dataset.suggest = list.dataset.suggest;
    input.setAttribute("list", "dl-" + list.dataset.suggest);
    $(".items", list).append(node);
    return input;
  }

  function setKey(key, value) {
    const input = $(`[data-key="${key}"]`);
    if (input) input.value = value === null || value === undefined ? "" : String(value);
  }

  function load(f) {
    setKey("id", f.id);
    setKey("title", f.title);
    setKey("authors", (f.authors || []).join(", "));
    setKey("notes", f.notes);
    for (const [k, v] of Object.entries(f.use || {})) setKey("use." + k, v);
    $("#syringes").replaceChildren();
    for (const p of f.preparations || []) addSyringe(p);
    window.mesoregVersion = f.version || 1;
  }

  function text(key) {
    const input = $(`[data-key="${key}"]`);
    return input ? input.value.trim() : "";
  }

  function put(target, key, value) {
    if (value !== "" && value !== null && value !== undefined) target[key] = value;
  }

  function number(value) {
    // sent as the user wrote it when it is not a plain number: the service says what is wrong
    return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }

  function formulation() {
    const f = { schema_version: 1, id: text("id"), version: window.mesoregVersion || 1, title: text("title") };
    const authors = text("authors").split(",").map((a) => a.trim()).filter(Boolean);
    if (authors.length) f.authors = authors;
    put(f, "notes", text("notes"));
    const use = {};
    for (const k of ["area", "technique", "route", "purpose", "depth", "volume_per_point"]) put(use, k, text("use." + k));
    put(use, "points", text("use.points") && number(text("use.points")));
    f.use = use;
    f.preparations = $$("#syringes .syringe").map((s) => ({
      name: field(s, "name").value.trim(),
      per_session: number(field(s, "per_session").value.trim()),
      components: $$(".component", s).map((c) => {
        const out = {};
        for (const k of ["ingredient", "strength", "volume"]) out[k] = field(c, k).value.trim();
        const co = $$(".co-ingredient", c).map((x) => ({
          ingredient: field(x, "ingredient").value.trim(),
          strength: field(x, "strength").value.trim(),
        }));
        if (co.length) out.co_ingredients = co;
        return out;
      }),
    }));
    return f;
  }

  function patient() {
    if (!$("#with-patient").checked) return null;
    const p = { schema_version: 1, id: text("patient.id") || "patient" };
    for (const k of ["birth_date", "sex", "weight"]) put(p, k, text("patient." + k));
    put(p, "age", text("patient.age") && number(text("patient.age")));
    for (const k of ["pregnant", "breastfeeding", "childbearing_potential"]) {
      const v = text("patient." + k);
      if (v) p[k] = v === "true";
    }
    for (const list of $$(".facts")) {
      const key = list.dataset.list;
      const items = $$(".items .item", list).filter((i) => field(i, "name").value.trim());
      let values = items.map((i) => field(i, "name").value.trim());
      if (key === "medications") {
        values = items.map((i) => {
          const m = { name: field(i, "name").value.trim() };
          put(m, "last_dose", field(i, "last_dose").value);
          const classes = field(i, "classes").value.split(",").map((c) => c.trim()).filter(Boolean);
          if (classes.length) m.classes = classes;
          return m;
        });
      }
      if (values.length) p[key] = values;
      else if ($(".none-recorded", list).checked) p[key] = [];
    }
    return p;
  }

  function request() {
    const body = { formulation: formulation() };
    const p = patient();
    if (p) body.patient = p;
    const region = $("#region").value.trim();
    if (region) body.region = region.toUpperCase();
    if ($("#date").value) body.date = $("#date").value;
    if ($("#previous").value) body.previous_session = $("#previous").value;
    return body;
  }

  // -- showing the report ------------------------------------------------------------------

  function finding(f) {
    const sources = (f.sources || []).map((s) =>
      el("li", {}, s.url ? el("a", { href: s.url, rel: "noopener noreferrer" }, s.title) : s.title,
        s.issuer ? `, ${s.issuer}` : "", s.date ? ` (${s.date})` : "")
    );
    const rows = [
      ["Evidence", f.evidence],
      ["Advice", f.advice],
      ["Evidence level", (f.evidence_level || "").replace(/_/g, " ")],
      ["Note", f.note],
    ].filter(([, v]) => v);
    return el("article", { class: "finding sev-" + f.severity },
      el("h4", {}, el("span", { class: "sev" }, f.severity), " ", f.message),
      el("dl", {}, ...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])),
      sources.length ? el("details", {}, el("summary", {}, `Sources (${sources.length})`), el("ul", {}, ...sources)) : null,
      el("p", { class: "small muted" }, `${f.code} · rule ${f.rule} · ${f.provider}`)
    );
  }

  function gaps(title, rows) {
    if (!rows || !rows.length) return null;
    return el("section", { class: "gaps" }, el("h3", {}, `${title} (${rows.length})`),
      el("ul", {}, ...rows.map((g) => el("li", {}, `${g.check}: ${g.rule}: ${g.reason}`))));
  }

  function showReport(report) {
    const verdict = report.verdict;
    const parts = [
      el("p", { class: "verdict v-" + verdict, id: "verdict" }, VERDICTS[verdict] || verdict),
      el("p", { class: "small muted" }, `${report.formulation}${report.patient ? " for " + report.patient : ""}` +
        `${report.region ? " in " + report.region : ""} on ${report.date}`),
    ];
    for (const severity of SEVERITIES) {
      const found = report.findings.filter((f) => f.severity === severity);
      if (!found.length) continue;
      parts.push(el("section", { class: "group", "data-severity": severity },
        el("h3", {}, `${severity} (${found.length})`), ...found.map(finding)));
    }
    parts.push(gaps("Not checked", report.unchecked), gaps("Not run", report.not_run));
    return parts;
  }

  function showComposition(c) {
    if (!c) return [];
    if (c.error) return [el("p", {}, c.error)];
    const parts = c.preparations.map((p) =>
      el("table", { class: "comp" },
        el("caption", {}, `${p.name}: ${p.volume}, ${p.per_session} per session`),
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Ingredient"),
          el("th", { scope: "col" }, "Final concentration"), el("th", { scope: "col" }, "Amount"))),
        el("tbody", {}, ...p.doses.map((d) => el("tr", {}, el("th", { scope: "row" }, d.name),
          el("td", { class: "num" }, d.concentration), el("td", { class: "num" }, d.amount)))))
    );
    const weight = c.has_patient ? (c.weight_kg ? `, ${c.weight_kg} kg` : ", weight not known") : "";
    parts.push(el("table", { class: "comp" },
      el("caption", {}, `Per session${weight}`),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Ingredient"),
        el("th", { scope: "col" }, "Amount"), el("th", { scope: "col" }, "Per kg"))),
      el("tbody", {}, ...c.session.map((s) => el("tr", {}, el("th", { scope: "row" }, s.name),
        el("td", { class: "num" }, s.amount || `not added up (${s.problem})`),
        el("td", { class: "num" }, s.per_kg || "—"))))));
    return parts;
  }

  // -- a patient from the service's folder (--patients) -------------------------------------

  const PATIENT_KEYS = ["schema_version", "id", "birth_date", "age", "sex", "weight", "pregnant",
    "breastfeeding", "childbearing_potential", "conditions", "medications", "allergies", "previous_session"];
  const MEDICATION_KEYS = ["name", "last_dose", "classes"];

  function fillPatient(p) {
    $("#with-patient").checked = true;
    $("#patient").hidden = false;
    for (const k of ["id", "birth_date", "age", "sex", "weight"]) setKey("patient." + k, p[k]);
    for (const k of ["pregnant", "breastfeeding", "childbearing_potential"]) {
      setKey("patient." + k, p[k] === undefined ? "" : String(p[k]));
    }
    for (const list of $$(".facts")) {
      const values = p[list.dataset.list];
      $(".items", list).replaceChildren();
      for (const v of values || []) addItem(list, v);
      $(".none-recorded", list).checked = Array.isArray(values) && values.length === 0;
    }
    $("#previous").value = p.previous_session || "";
    // anything the page has no field for would not reach the check: say so, never drop it silently
    const missing = Object.keys(p).filter((k) => !PATIENT_KEYS.includes(k));
    for (const m of p.medications || []) {
      for (const k of Object.keys(m)) if (!MEDICATION_KEYS.includes(k)) missing.push("medications." + k);
    }
    return missing;
  }

  async function pickPatient(select) {
    const status = $("#patient-file-status");
    if (!select.value) {
      status.textContent = "";
      return;
    }
    const response = await fetch("/composer/patients/" + encodeURIComponent(select.value));
    const data = await response.json();
    if (!response.ok) {
      status.replaceChildren(el("strong", {}, `Not read (${data.status} ${data.kind}):`),
        el("ul", {}, ...(data.errors || []).map((e) => el("li", {}, e.text))));
      status.className = "refused";
      return;
    }
    const missing = fillPatient(data.patient);
    status.className = missing.length ? "refused" : "done";
    status.textContent = `Filled from ${data.file}; edit as needed: the check uses what the page shows.` +
      (missing.length ? ` Not on this page, so NOT checked: ${missing.join(", ")}.` : "");
    check();
  }

  let sequence = 0;
  async function check() {
    const mine = ++sequence;
    const results = $("#results");
    results.dataset.state = "checking";
    results.setAttribute("aria-busy", "true");
    let response, data;
    try {
      response = await fetch("/composer/check", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(request()),
      });
      data = await response.json();
    } catch (err) {
      data = { errors: [{ text: "the service did not answer: " + err }] };
      response = { ok: false };
    }
    if (mine !== sequence) return; // a newer check is on its way
    if (response.ok) {
      results.replaceChildren(...showReport(data.report).filter(Boolean));
      $("#composition").replaceChildren(...showComposition(data.composition));
    } else {
      results.replaceChildren(
        el("p", { class: "verdict v-input", id: "verdict" }, "Not checked: the input has problems"),
        el("ul", { class: "problems" }, ...(data.errors || []).map((e) => el("li", {}, e.text)))
      );
      $("#composition").replaceChildren();
    }
    results.dataset.state = response.ok ? "done" : "input";
    results.dataset.checks = String(Number(results.dataset.checks) + 1);
    results.removeAttribute("aria-busy");
  }
  const checkSoon = debounce(check, 300);

  function composer(form) {
    load(JSON.parse($("#initial").textContent));
    form.addEventListener("input", (e) => {
      if (e.target.dataset.suggest) suggest(e.target);
      if (!["who", "token"].includes(e.target.id)) checkSoon();
    });
    form.addEventListener("change", (e) => {
      if (!["who", "token"].includes(e.target.id)) checkSoon();
    });
    form.addEventListener("submit", (e) => e.preventDefault());
    form.addEventListener("click", (e) => {
      const b = e.target.closest("button");
      if (!b) return;
      let focus = null;
      if (b.id === "add-syringe") focus = field(addSyringe(null), "name");
      else if (b.classList.contains("add-component")) focus = field(addComponent(b.closest(".syringe"), null), "ingredient");
      else if (b.classList.contains("add-co")) focus = field(addCo(b.closest(".component"), null), "ingredient");
      else if (b.classList.contains("add-item")) focus = addItem(b.closest(".facts"), "");
      else if (b.classList.contains("remove-syringe")) b.closest(".syringe").remove();
      else if (b.classList.contains("remove-component")) b.closest(".component").remove();
      else if (b.classList.contains("remove-co")) b.closest(".co-ingredient").remove();
      else if (b.classList.contains("remove-item")) b.closest(".item").remove();
      else if (b.id === "publish") return publish();
      else return;
      if (focus) focus.focus();
      checkSoon();
    });
    $("#with-patient").addEventListener("change", (e) => { $("#patient").hidden = !e.target.checked; });
    const picker = $("#patient-file");
    if (picker) picker.addEventListener("change", (e) => { e.stopPropagation(); pickPatient(picker); });
    check();
  }

  async function publish() {
    const data = await write("/composer/publish", { formulation: formulation(), author: $("#who").value });
    if (!data) return;
    window.mesoregVersion = data.version;
    $("#write-status").replaceChildren(`Published ${data.formulation}@${data.version}. `,
      el("a", { href: data.history, id: "published-link" }, `History of ${data.formulation}`));
  }

  // -- the history page --------------------------------------------------------------------

  function historyPage() {
    for (const button of $$("button.approve")) {
      button.addEventListener("click", async () => {
        const data = await write(button.dataset.url, {
          by: $("#who").value,
          ...($("#override").value.trim() ? { override_reason: $("#override").value.trim() } : {}),
        });
        if (!data) return;
        const row = document.getElementById("v" + data.version);
        $(".status", row).textContent = data.entry.status;
        button.remove();
        $("#write-status").textContent = `Approved ${data.formulation}@${data.version}.`;
      });
    }
    for (const link of $$("a.print-labels")) {
      link.addEventListener("click", () => { $("#label-version").value = link.dataset.version; });
    }
    const labels = $("#label-form");
    labels.addEventListener("submit", () => {
      labels.action = labels.dataset.base + $("#label-version").value + "/label";
    });
  }

  // -- recording a preparation -----------------------------------------------------------

  function compoundPage(form) {
    const findings = JSON.parse($("#findings").textContent);
    form.addEventListener("submit", (e) => e.preventDefault());
    $("#record").addEventListener("click", async () => {
      const body = {
        lots: $$("#lots tr.lot").map((row) => ({
          product: field(row, "product").value,
          lot: field(row, "lot").value,
          expiry: field(row, "expiry").value,
        })),
        prepared_by: $("#prepared-by").value,
        verified_by: $("#verified-by").value,
        environment: $("#environment").value,
        storage: $("#storage").value,
        compounded_at: $("#compounded-at").value.trim(),
        deviations: $("#deviations").value.split("\n").map((d) => d.trim()).filter(Boolean),
        acknowledgements: $$(".ack").map((node) => {
          const f = findings[Number(node.dataset.index)];
          const by = [field(node, "by"), field(node, "by2")].filter(Boolean).map((i) => i.value.trim()).filter(Boolean);
          return { code: f.code, components: f.components, rule: f.rule, reason: field(node, "reason").value.trim(), by };
        }),
      };
      const patientId = $("#patient-id").value.trim();
      if (patientId) body.patient = patientId;
      const data = await write(form.dataset.url, body);
      if (!data) return;
      $("#write-status").replaceChildren(`Recorded ${data.formulation}@${data.version} record ${data.record}. `,
        el("a", { href: data.url, id: "record-link" }, `Record ${data.record}`), " · ",
        el("a", { href: data.history, id: "history-link" }, `History of ${data.formulation}`));
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    remember("who");
    remember("token");
    const form = $("#composer");
    if (form) composer(form);
    if ($("#versions")) historyPage();
    const compound = $("#compound");
    if (compound) compoundPage(compound);
  });
})();
