import { initAll } from '/assets/vendor/govuk-frontend.min.js'

initAll()

// Document status: poll the JSON endpoint until the PDF is ready or has failed, then reload
// so the page shows the download link (or the error and a retry button).
const watched = document.querySelector('[data-document-status-url]')
if (watched) {
  const url = watched.getAttribute('data-document-status-url')
  const live = document.getElementById('document-status-live')
  let delay = 1000
  const poll = async () => {
    try {
      const response = await fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      if (response.ok) {
        const body = await response.json()
        if (live) { live.textContent = 'Status: ' + (body.label || body.status) }
        if (body.finished) { window.location.reload(); return }
      }
    } catch (error) {
      // Network blip: keep polling, a little slower.
    }
    delay = Math.min(delay * 1.5, 10000)
    window.setTimeout(poll, delay)
  }
  window.setTimeout(poll, delay)
}
