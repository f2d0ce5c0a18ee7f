(function () {
  'use strict';
  var root = document.documentElement, key = 'pantau-theme';
  function load() { try { return localStorage.getItem(key); } catch (e) { return null; } }
  function save(v) { try { localStorage.setItem(key, v); } catch (e) { /* private mode */ } }
  var chosen = load();
  if (chosen === 'dark' || chosen === 'light') { root.setAttribute('data-theme', chosen); }
  function dark() {
    var a = root.getAttribute('data-theme');
    return a ? a === 'dark' : window.matchMedia('(prefers-color-scheme: dark)').matches;
  }
  document.addEventListener('DOMContentLoaded', function () {
    var button = document.getElementById('theme-toggle');
    if (button) {
      var sync = function () { button.setAttribute('aria-pressed', dark() ? 'true' : 'false'); };
      sync();
      button.hidden = false;
      button.addEventListener('click', function () {
        var next = dark() ? 'light' : 'dark';
        root.setAttribute('data-theme', next);
        save(next);
        sync();
      });
    }
    // A tap shows a day's text under its bar: title tooltips need a mouse.
    var info = document.createElement('p');
    info.className = 'day-info';
    info.setAttribute('role', 'status');
    document.addEventListener('click', function (e) {
      var day = e.target.closest ? e.target.closest('.bar > span') : null;
      if (!day) { return; }
      info.textContent = day.getAttribute('title');
      var bar = day.parentNode;
      bar.parentNode.insertBefore(info, bar.nextSibling);
    });
    // Fresh figures every minute, unless the reader is in the middle of something.
    setInterval(function () {
      if (!document.hidden && !info.isConnected && !document.querySelector('details[open]')) {
        location.reload();
      }
    }, 60000);
  });
})();
