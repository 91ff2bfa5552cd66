// The reviewer's loop without page loads: Save & next, Skip, Previous, "edit the last one" and "open the next
// queue with work" (forms and links marked data-review-loop) are sent with fetch, and the server answers with the
// next page's main region (X-Review-Fragment), which replaces the trace and the panel here; the address follows
// with history.pushState. Save & next answers with the next trace in the same response, so nothing is fetched
// ahead and no trace is claimed before the reviewer asks for it. A redirect comes back as X-Review-Go: a review
// page is fetched and swapped in the same way, anything else (the done page, sign-in) opens whole. Without this
// script every one of them is a plain form post or link.
(function () {
  "use strict";

  var main = document.getElementById("main");
  if (!main || !window.fetch || !window.history.pushState) {
    return;
  }
  var HEADERS = { "X-Review-Fragment": "1" };
  var busy = false;

  function swap(html, url) {
    main.innerHTML = html;  // the server's own rendering of its review page, as a full load would show it
    var page = main.querySelector("[data-review-page]");
    if (page) {
      document.title = page.getAttribute("data-title");
    }
    if (url && url !== window.location.pathname + window.location.search) {
      window.history.pushState({ reviewLoop: true }, "", url);
    }
    window.scrollTo(0, 0);
    document.dispatchEvent(new CustomEvent("review:page"));
    var flash = main.querySelector(".flashes");
    if (flash && !document.activeElement.closest("[data-scorer]")) {
      main.focus({ preventScroll: true });
    }
  }

  function isReviewPage(url) {
    var path = new URL(url, window.location.href).pathname;
    return /\/review\/[0-9a-f-]{36}$/.test(path) || /\/traces\/.+\/review$/.test(path) ||
      /\/review\/previous$/.test(path);
  }

  // What to do with the server's answer: swap in a review page, follow a redirect, or (anything else: a refused
  // CSRF token, an error page) `otherwise`, which repeats the request the plain way so the page shows it.
  function follow(response, otherwise) {
    if (response.headers.get("X-Review-Fragment") === "1") {
      return response.text().then(function (html) {
        swap(html, response.headers.get("X-Review-Url"));
      });
    }
    var go = response.headers.get("X-Review-Go");
    if (go) {
      if (isReviewPage(go)) {
        return load(go);
      }
      window.location.assign(go);
      return null;
    }
    otherwise();
    return null;
  }

  function load(url) {
    return fetch(url, { headers: HEADERS, credentials: "same-origin" }).then(function (response) {
      return follow(response, function () { window.location.assign(url); });
    });
  }

  function submitPlainly(form, submitter) {
    if (submitter && submitter.name) {
      var extra = document.createElement("input");
      extra.type = "hidden";
      extra.name = submitter.name;
      extra.value = submitter.value;
      form.appendChild(extra);
    }
    HTMLFormElement.prototype.submit.call(form);
  }

  function offline() {
    var panel = main.querySelector(".review-panel");
    if (panel && !panel.querySelector("[data-offline]")) {
      var note = document.createElement("div");
      note.className = "flash flash-error";
      note.setAttribute("role", "alert");
      note.setAttribute("data-offline", "");
      note.textContent = "The server could not be reached: nothing was sent. Your answers are kept; try again.";
      panel.insertBefore(note, panel.firstChild);
    }
  }

  function run(request) {
    busy = true;
    main.setAttribute("aria-busy", "true");
    request().catch(offline).then(function () {
      busy = false;
      main.removeAttribute("aria-busy");
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.matches || !form.matches("form[data-review-loop]")) {
      return;
    }
    event.preventDefault();
    if (busy) {
      return;  // one save at a time: a second Ctrl+Enter while the first is on its way does nothing
    }
    var submitter = event.submitter;
    var data = new FormData(form);
    if (submitter && submitter.name) {
      data.append(submitter.name, submitter.value);
    }
    run(function () {
      return fetch(form.action, { method: "POST", body: data, headers: HEADERS, credentials: "same-origin" })
        .then(function (response) {
          return follow(response, function () { submitPlainly(form, submitter); });
        });
    });
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-review-loop]");
    if (!link || event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey ||
        event.altKey) {
      return;
    }
    event.preventDefault();
    if (!busy) {
      run(function () { return load(link.href); });
    }
  });

  // Back and forward: each entry's address is a real page; open it whole.
  window.addEventListener("popstate", function () {
    window.location.reload();
  });
})();
