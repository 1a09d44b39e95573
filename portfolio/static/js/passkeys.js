// Passkeys (WebAuthn): a form with data-passkey="create" (add a passkey) or "get" (use one) asks
// the server for the options (data-options-url), asks the browser's authenticator, puts its answer
// (JSON, binary fields in base64url) into the form's hidden "credential" field and submits it.
// No inline script anywhere: the Content-Security-Policy allows scripts only from /assets.

function toBytes (base64url) {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/')
  const text = atob(base64 + '='.repeat((4 - base64.length % 4) % 4))
  return Uint8Array.from(text, character => character.charCodeAt(0)).buffer
}

function toBase64url (buffer) {
  const text = String.fromCharCode(...new Uint8Array(buffer))
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function creationOptions (options) {
  options.challenge = toBytes(options.challenge)
  options.user.id = toBytes(options.user.id)
  options.excludeCredentials = (options.excludeCredentials || []).map(item => ({ ...item, id: toBytes(item.id) }))
  return options
}

function requestOptions (options) {
  options.challenge = toBytes(options.challenge)
  options.allowCredentials = (options.allowCredentials || []).map(item => ({ ...item, id: toBytes(item.id) }))
  return options
}

function asJson (credential) {
  const response = credential.response
  const answer = {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
    clientExtensionResults: credential.getClientExtensionResults(),
    response: { clientDataJSON: toBase64url(response.clientDataJSON) }
  }
  if (response.attestationObject) {
    answer.response.attestationObject = toBase64url(response.attestationObject)
    answer.response.transports = response.getTransports ? response.getTransports() : []
  } else {
    answer.response.authenticatorData = toBase64url(response.authenticatorData)
    answer.response.signature = toBase64url(response.signature)
    if (response.userHandle) answer.response.userHandle = toBase64url(response.userHandle)
  }
  return JSON.stringify(answer)
}

function showProblem (form, text) {
  const message = form.querySelector('[data-passkey-message]')
  if (message) {
    message.textContent = text
    message.hidden = false
  }
}

async function ask (form, submitter) {
  const kind = form.dataset.passkey
  const reply = await fetch(form.dataset.optionsUrl, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
  if (!reply.ok) throw new Error('no options')
  const options = await reply.json()
  const credential = kind === 'create'
    ? await navigator.credentials.create({ publicKey: creationOptions(options) })
    : await navigator.credentials.get({ publicKey: requestOptions(options) })
  form.querySelector('input[name$="credential"]').value = asJson(credential)
  form.requestSubmit(submitter)
}

function start () {
  const forms = document.querySelectorAll('form[data-passkey]')
  for (const form of forms) {
    if (!window.PublicKeyCredential) {
      showProblem(form, 'This browser cannot use passkeys.')
      for (const button of form.querySelectorAll('button')) button.disabled = true
      continue
    }
    form.addEventListener('submit', event => {
      const field = form.querySelector('input[name$="credential"]')
      if (field.value) return // the authenticator has answered: send it
      event.preventDefault()
      ask(form, event.submitter).catch(() => {
        showProblem(form, form.dataset.passkey === 'create'
          ? 'The passkey was not added. Try again.'
          : 'Your passkey was not used. Try again, or enter a code instead.')
      })
    })
  }
}

start()
