// ODK's own XForms engine (@getodk/xforms-engine, behind ODK Web Forms) driven against a
// running Vigil, as ODK Central's web form filler would: list, download, fill, serialise,
// submit. Bundled by esbuild into dist/odk-engine.js; tests/browser/test_odk_engine.py loads
// it into Chromium on Vigil's own origin and asserts on what `window.odkEngine` reports.
import { createInstance, editInstance } from '@getodk/xforms-engine';

const OPENROSA = { 'X-OpenRosa-Version': '1.0' };
const LIST_NS = 'http://openrosa.org/xforms/xformsList';

/** Every node of the instance, by its reference (e.g. /data/category). */
function nodesOf(root) {
  const found = new Map();
  const walk = (node) => {
    found.set(node.currentState.reference, node);
    for (const child of node.currentState.children ?? []) walk(child);
  };
  walk(root);
  return found;
}

/** What a person filling the form would see of one node now. */
function stateOf(node) {
  const state = node.currentState;
  const validation = node.validationState;
  const violation = 'violation' in validation ? validation.violation : null;
  return {
    type: node.nodeType,
    relevant: state.relevant,
    required: state.required,
    value: state.instanceValue ?? null,
    violation: violation && {
      condition: violation.condition,
      message: violation.message?.asString ?? null,
    },
  };
}

function states(nodes) {
  return Object.fromEntries([...nodes].map(([ref, node]) => [ref, stateOf(node)]));
}

function violationsOf(payload) {
  return (payload.violations ?? []).map((v) => ({
    reference: v.reference,
    condition: v.violation.condition,
    message: v.violation.message?.asString ?? null,
  }));
}

/** A fetch that sends the OpenRosa version header and the caller's credentials (if any). */
function openrosaFetcher(credentials = {}) {
  return (input, init = {}) =>
    fetch(input, { ...init, headers: { ...OPENROSA, ...credentials, ...(init.headers ?? {}) } });
}

async function formList(server, fetchOpenRosa) {
  const response = await fetchOpenRosa(`${server}/formList`);
  const text = await response.text();
  if (response.status !== 200) throw new Error(`formList: ${response.status} ${text}`);
  const doc = new DOMParser().parseFromString(text, 'text/xml');
  return [...doc.getElementsByTagNameNS(LIST_NS, 'xform')].map((xform) =>
    Object.fromEntries([...xform.children].map((c) => [c.localName, c.textContent])),
  );
}

/** Set one answer the way a client of the engine does, by node type; a {name, type, base64}
 * value becomes a File (an upload question's photo). */
function answer(node, value) {
  if (node.nodeType === 'select') {
    node.selectValue(value);
  } else if (value && typeof value === 'object' && 'base64' in value) {
    const bytes = Uint8Array.from(atob(value.base64), (c) => c.charCodeAt(0));
    node.setValue(new File([bytes], value.name, { type: value.type }));
  } else {
    node.setValue(value);
  }
}

/** Answer each [reference, value] in turn, recording every node's state after each. */
function fill(root, steps) {
  const nodes = nodesOf(root);
  return steps.map(([ref, value]) => {
    const node = nodes.get(ref);
    if (!node) throw new Error(`the engine has no node ${ref}`);
    answer(node, value);
    return { ref, value: typeof value === 'object' ? '(file)' : value, states: states(nodes) };
  });
}

/** The engine's submission payload, POSTed as is (its FormData) after Collect's HEAD probe. */
async function submit(server, root, fetchOpenRosa) {
  const probe = await fetchOpenRosa(`${server}/submission`, { method: 'HEAD' });
  const payload = await root.prepareInstancePayload();
  const [data] = payload.data;
  const response = await fetchOpenRosa(`${server}/submission`, { method: 'POST', body: data });
  return {
    probe: { status: probe.status, maxSize: probe.headers.get('X-OpenRosa-Accept-Content-Length') },
    payload: { status: payload.status, violations: violationsOf(payload) },
    parts: [...data.entries()].map(([name, file]) => ({
      name,
      fileName: file.name,
      type: file.type,
      size: file.size,
    })),
    instanceXML: await data.get('xml_submission_file').text(),
    submission: { status: response.status, body: await response.text() },
  };
}

/** Where the form is and how the engine is to fetch it (with the OpenRosa header). */
async function locate(server, formId, credentials) {
  const fetchOpenRosa = openrosaFetcher(credentials);
  const [listed] = (await formList(server, fetchOpenRosa)).filter((f) => f.formID === formId);
  const options = { form: { fetchFormDefinition: fetchOpenRosa } };
  return { listed, fetchOpenRosa, url: new URL(listed.downloadUrl), options };
}

function loaded(instance) {
  const { status, warnings, error } = instance.formResult;
  return { status, warnings, error: error && String(error), mode: instance.mode };
}

/**
 * A new report: list and load Vigil's observation form through the engine, answer `steps`
 * (reference -> value; a select takes its choice's name), and submit what the engine makes.
 */
async function fillAndSubmit({ server, formId, credentials, steps }) {
  const { listed, fetchOpenRosa, url, options } = await locate(server, formId, credentials);
  const instance = await createInstance(url, options);
  const root = instance.root;
  const initial = states(nodesOf(root));
  const initialViolations = violationsOf(await root.prepareInstancePayload());
  const filled = fill(root, steps);
  const sent = await submit(server, root, fetchOpenRosa);
  return { listed, load: loaded(instance), initial, initialViolations, filled, ...sent };
}

/**
 * An edit as ODK Web Forms makes one: the submitted instance XML (without its files) loaded
 * with editInstance, which sets meta/deprecatedID and a new instanceID; then `steps`; submit.
 */
async function editAndSubmit({ server, formId, credentials, instanceXML, steps }) {
  const { fetchOpenRosa, url, options } = await locate(server, formId, credentials);
  const data = new FormData();
  const xml = new File([instanceXML], 'xml_submission_file', { type: 'text/xml' });
  data.append('xml_submission_file', xml);
  const input = { inputType: 'FORM_INSTANCE_INPUT_RESOLVED', data: [data] };
  const instance = await editInstance(url, input, options);
  const filled = fill(instance.root, steps);
  const sent = await submit(server, instance.root, fetchOpenRosa);
  return { load: loaded(instance), filled, ...sent };
}

/** The references of the form's nodes, as the engine builds them (nothing is sent). */
async function fields({ server, formId, credentials }) {
  const { url, options } = await locate(server, formId, credentials);
  const instance = await createInstance(url, options);
  return [...nodesOf(instance.root).keys()];
}

window.odkEngine = { fields, fillAndSubmit, editAndSubmit };
window.odkEngineReady = true;
