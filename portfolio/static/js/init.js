// Runs before the page paints (a classic script at the top of <body>), as GOV.UK Frontend needs.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '')
