// The INFO view's only script (loaded with the page's nonce): the refresh button.
// @ts-check
/* global acquireVsCodeApi, document, window */
(function () {
  // One API object per page (acquireVsCodeApi throws when called twice): shared with charts.js.
  const vscode = (window.sharedRedisApi ??= acquireVsCodeApi());
  const button = document.getElementById('refresh');
  if (button) {
    button.addEventListener('click', () => {
      button.setAttribute('disabled', '');
      button.textContent = 'Refreshing…';
      document.body.classList.add('loading');
      vscode.postMessage({ type: 'refresh' });
    });
  }
  window.addEventListener('message', (event) => {
    const message = event.data;
    if (message && message.type === 'loading' && button) {
      button.setAttribute('disabled', '');
      document.body.classList.add('loading');
    }
  });
})();
