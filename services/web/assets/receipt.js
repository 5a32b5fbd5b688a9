// The receipt's print button (no inline script: the page's policy forbids it).
document.getElementById('print')?.addEventListener('click', () => window.print());
