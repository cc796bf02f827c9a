/*
 * EmDash admin: passkey (WebAuthn) ceremonies and copy buttons, wired by data attributes.
 * Load with <script type="module" src="…/passkeys.js">. Clicks are delegated from document,
 * so buttons inside htmx-swapped content work too.
 *
 * <button data-action="register-passkey" data-options-url=… data-verify-url=…> in a <form>
 *   (the URL attributes may sit on the <form> instead). Click: form.reportValidity(); fields =
 *   the form's FormData minus csrfmiddlewaretoken; POST fields → options-url, which answers
 *   {"options": PublicKeyCredentialCreationOptionsJSON, "challenge_id": "…"};
 *   navigator.credentials.create(); POST {...fields, challenge_id, credential} → verify-url.
 *   data-verify-fields="token name" (space-separated) limits the fields sent to verify-url
 *   to those named, for endpoints that refuse unknown properties.
 * <button data-action="sign-in-passkey" data-options-url=… data-verify-url=…>: POST {} →
 *   options-url ({"options": …RequestOptionsJSON, "challenge_id"}); navigator.credentials.get();
 *   POST {challenge_id, credential, next?} → verify-url (next = the page's <input name="next">).
 *   With an <input autocomplete="… webauthn"> on the page, a conditional (autofill) request
 *   using the same URLs starts on load; clicking the button aborts it first.
 * A verify-url answers {"redirect": "/path"} → location.assign (same origin only).
 * Every POST: JSON body, credentials same-origin, X-CSRFToken from <meta name="csrf-token">.
 * Errors answer {"error": {"code": "SCREAMING_SNAKE", "message": "…"}}; the message shows in
 *   the form's [data-passkey-error] (else the page's first one); give it role="alert".
 * <button data-action="copy" data-copy-target="#input-id">: copies the input's value, says
 *   "Copied"; an optional [data-copy-status] in the same .copy-link announces it.
 */

const CANCELLED = "The passkey request was cancelled or timed out.";
const UNSUPPORTED =
  "This browser does not support passkeys. Try an up-to-date browser, or another device.";

class ServerError extends Error {}

/** AbortController of the running conditional (autofill) request, if any. */
let conditional = null;

// ---------------------------------------------------------------- helpers

const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.content ?? "";

async function postJSON(url, body, signal) {
  let response;
  try {
    const headers = { "Content-Type": "application/json", "X-CSRFToken": csrfToken() };
    const init = { method: "POST", credentials: "same-origin", headers, signal };
    response = await fetch(url, { ...init, body: JSON.stringify(body) });
  } catch (error) {
    if (error?.name === "AbortError") throw error;
    throw new ServerError("Could not reach the server. Check your connection and try again.");
  }
  const data = await response.json().catch(() => null);
  if (!response.ok || data === null || typeof data !== "object") {
    throw new ServerError(
      data?.error?.message ?? `The server could not complete the request (${response.status}).`,
    );
  }
  return data;
}

// base64url <-> ArrayBuffer, only for browsers without the WebAuthn JSON helpers.
const decode = (s) =>
  Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)).buffer;
const encode = (buffer) =>
  btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const withIds = (list) => list?.map((c) => ({ ...c, id: decode(c.id) }));

const creationOptions = (json) =>
  PublicKeyCredential.parseCreationOptionsFromJSON?.(json) ?? {
    ...json,
    challenge: decode(json.challenge),
    user: { ...json.user, id: decode(json.user.id) },
    excludeCredentials: withIds(json.excludeCredentials),
  };

const requestOptions = (json) =>
  PublicKeyCredential.parseRequestOptionsFromJSON?.(json) ?? {
    ...json, challenge: decode(json.challenge), allowCredentials: withIds(json.allowCredentials),
  };

function credentialJSON(credential) {
  if (typeof credential.toJSON === "function") return credential.toJSON();
  const r = credential.response;
  const response = { clientDataJSON: encode(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = encode(r.attestationObject);
    response.transports = r.getTransports?.() ?? [];
  } else {
    response.authenticatorData = encode(r.authenticatorData);
    response.signature = encode(r.signature);
    if (r.userHandle) response.userHandle = encode(r.userHandle);
  }
  const { id, rawId, type, authenticatorAttachment } = credential;
  const clientExtensionResults = credential.getClientExtensionResults();
  return { id, rawId: encode(rawId), type, authenticatorAttachment, clientExtensionResults, response };
}

function redirect(data) {
  const target = new URL(data.redirect ?? location.href, location.href);
  if (target.origin !== location.origin) throw new ServerError("Refusing to leave this site.");
  location.assign(target.href);
}

function urlsFor(button) {
  const form = button.closest("form");
  const optionsUrl = button.dataset.optionsUrl ?? form?.dataset.optionsUrl;
  return { form, optionsUrl, verifyUrl: button.dataset.verifyUrl ?? form?.dataset.verifyUrl };
}

const errorBox = (scope) =>
  scope?.querySelector("[data-passkey-error]") ?? document.querySelector("[data-passkey-error]");

function showError(scope, error) {
  let message = error?.message || "Something went wrong. Please try again.";
  if (error?.name === "NotAllowedError" || error?.name === "AbortError") message = CANCELLED;
  else if (error?.name === "InvalidStateError") message = "A passkey from this device is already registered.";
  else if (error?.name === "SecurityError") message = "Passkeys cannot be used on this address.";
  const box = errorBox(scope);
  if (box) box.textContent = message;
  else console.error("passkeys:", message, error);
}

function setBusy(button, busy) {
  button.disabled = busy;
  busy ? button.setAttribute("aria-busy", "true") : button.removeAttribute("aria-busy");
}

const nextInput = () => document.querySelector('input[name="next"]');
const nextField = () => (nextInput() ? { next: nextInput().value } : {});

// ------------------------------------------------------------- ceremonies

/** The form fields data-verify-fields names (all of them without the attribute). */
function verifyFields(fields, button) {
  const names = button.dataset.verifyFields?.split(/\s+/).filter(Boolean);
  if (!names) return fields;
  return Object.fromEntries(Object.entries(fields).filter(([name]) => names.includes(name)));
}

async function register({ form, optionsUrl, verifyUrl }, button) {
  // Text fields only (no files); the CSRF token travels in the header instead.
  const entries = [...new FormData(form ?? undefined)].filter(
    ([name, value]) => name !== "csrfmiddlewaretoken" && typeof value === "string",
  );
  const fields = Object.fromEntries(entries);
  const data = await postJSON(optionsUrl, fields);
  const publicKey = creationOptions(data.options);
  const credential = await navigator.credentials.create({ publicKey });
  redirect(await postJSON(verifyUrl, {
    ...verifyFields(fields, button),
    challenge_id: data.challenge_id,
    credential: credentialJSON(credential),
  }));
}

async function signIn({ optionsUrl, verifyUrl }, extra = {}, signal = undefined) {
  const data = await postJSON(optionsUrl, {}, signal);
  const publicKey = requestOptions(data.options);
  const credential = await navigator.credentials.get({ publicKey, signal, ...extra });
  redirect(await postJSON(verifyUrl, {
    challenge_id: data.challenge_id, credential: credentialJSON(credential), ...nextField(),
  }));
}

/** Offer passkeys in the browser's autofill for inputs with autocomplete="… webauthn". */
async function startConditional() {
  const button = document.querySelector('[data-action="sign-in-passkey"]');
  if (!button || !document.querySelector('input[autocomplete*="webauthn"]')) return;
  if (!(await window.PublicKeyCredential?.isConditionalMediationAvailable?.())) return;
  conditional?.abort();
  const controller = (conditional = new AbortController());
  try {
    await signIn(urlsFor(button), { mediation: "conditional" }, controller.signal);
  } catch (error) {
    if (error?.name !== "AbortError" && !controller.signal.aborted) {
      showError(button.closest("form"), error);
    }
  } finally {
    if (conditional === controller) conditional = null;
  }
}

async function runCeremony(button) {
  const urls = urlsFor(button);
  const signingIn = button.dataset.action === "sign-in-passkey";
  if (!signingIn && urls.form && !urls.form.reportValidity()) return;
  const box = errorBox(urls.form);
  if (box) box.textContent = "";
  if (!window.PublicKeyCredential || !navigator.credentials) {
    showError(urls.form, new Error(UNSUPPORTED));
    return;
  }
  if (!urls.optionsUrl || !urls.verifyUrl) {
    showError(urls.form, new Error("This button is missing data-options-url or data-verify-url."));
    return;
  }
  // Only one WebAuthn request may be pending: stop the autofill one first.
  conditional?.abort();
  conditional = null;
  setBusy(button, true);
  try {
    await (signingIn ? signIn(urls) : register(urls, button));
    return; // location.assign() is navigating away: leave the button busy
  } catch (error) {
    showError(urls.form, error);
  }
  setBusy(button, false);
  // Disabling the button may have dropped focus to <body>; put it back.
  if (document.activeElement === document.body || !document.activeElement) button.focus();
  if (signingIn) startConditional();
}

// ------------------------------------------------------------------- copy

async function copy(button) {
  let target = null;
  try { target = document.querySelector(button.dataset.copyTarget); } catch { /* bad selector */ }
  if (!target) return;
  const text = target.value ?? target.textContent;
  let copied = false;
  try {
    await navigator.clipboard.writeText(text);
    copied = true;
  } catch {
    // No async clipboard (e.g. plain http): select the text and use the legacy command.
    target.select?.();
    copied = document.execCommand?.("copy") ?? false;
  }
  const status = button.closest(".copy-link")?.querySelector("[data-copy-status]");
  button.dataset.copyLabel ??= button.textContent;
  button.textContent = copied ? "Copied" : "Press Ctrl+C to copy";
  if (status) status.textContent = copied ? "Copied to the clipboard." : "";
  clearTimeout(Number(button.dataset.copyTimer));
  button.dataset.copyTimer = setTimeout(() => {
    button.textContent = button.dataset.copyLabel;
    if (status) status.textContent = "";
  }, 2000);
}

// ------------------------------------------------------------------- init

if (typeof document !== "undefined") {
  document.addEventListener("click", (event) => {
    const button = event.target.closest?.("[data-action]");
    if (!button || button.disabled) return;
    const action = button.dataset.action;
    if (action === "register-passkey" || action === "sign-in-passkey") {
      event.preventDefault();
      runCeremony(button);
    } else if (action === "copy") {
      event.preventDefault();
      copy(button);
    }
  });
  // Module scripts run after parsing, so the DOM is ready here.
  startConditional();
}
