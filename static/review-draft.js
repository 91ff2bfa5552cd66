// Unsaved answers survive whatever stops a save from landing: a signed-out session, a lost connection, a closed
// tab. Every change on the review form is kept in this browser (localStorage) under the project and trace; when
// the page for that trace opens again from the same starting point (the same saved review, or none), the answers
// come back, with a note saying so and a button to drop them. A save that lands moves the starting point on, so
// its draft is never offered again; drafts older than a week are dropped. review-loop.js may swap in the next
// trace's page: "review:page" sets this up again on the new form.
(function () {
  "use strict";

  function setup() {
    var form = document.getElementById("review-form");
    var key = form && form.getAttribute("data-draft-key");
    if (!key || !window.localStorage) {
      return;
    }
    var WEEK = 7 * 24 * 3600 * 1000;
    var basis = (form.querySelector('input[name="basis"]') || {}).value || "";
    var notice = document.getElementById("draft-notice");
    var SKIP = { csrf_token: true, basis: true, started: true, queue_id: true };

    function read() {
      try {
        return JSON.parse(window.localStorage.getItem(key) || "null");
      } catch (e) {
        return null;
      }
    }

    function fields() {
      return Array.prototype.slice.call(form.elements).filter(function (el) {
        return el.name && !SKIP[el.name] && el.type !== "submit" && el.type !== "button";
      });
    }

    function snapshot() {
      var values = {};
      fields().forEach(function (el) {
        if (el.type === "radio" || el.type === "checkbox") {
          values[el.name] = values[el.name] || [];
          if (el.checked) {
            values[el.name].push(el.value);
          }
        } else {
          values[el.name] = [el.value];
        }
      });
      return values;
    }

    function apply(values) {
      fields().forEach(function (el) {
        var wanted = values[el.name];
        if (!wanted) {
          return;
        }
        if (el.type === "radio" || el.type === "checkbox") {
          el.checked = wanted.indexOf(el.value) !== -1;
        } else {
          el.value = wanted[0] || "";
        }
        el.dispatchEvent(new Event("change", { bubbles: true }));
      });
    }

    function ago(ms) {
      var minutes = Math.round(ms / 60000);
      if (minutes < 1) {
        return "a moment ago";
      }
      if (minutes < 60) {
        return minutes === 1 ? "a minute ago" : minutes + " minutes ago";
      }
      var hours = Math.round(minutes / 60);
      if (hours < 48) {
        return hours === 1 ? "an hour ago" : hours + " hours ago";
      }
      return Math.round(hours / 24) + " days ago";
    }

    function same(a, b) {
      return JSON.stringify(a) === JSON.stringify(b);
    }

    function keep() {
      var values = snapshot();
      if (same(values, initial)) {
        window.localStorage.removeItem(key);
        return;
      }
      try {
        window.localStorage.setItem(key, JSON.stringify({ basis: basis, at: Date.now(), values: values }));
      } catch (e) {
        // Storage full or refused: the form itself still holds the answers.
      }
    }

    function dropOld() {
      for (var i = window.localStorage.length - 1; i >= 0; i--) {
        var name = window.localStorage.key(i);
        if (name && name.indexOf("reviewapp:draft:") === 0) {
          try {
            var draft = JSON.parse(window.localStorage.getItem(name));
            if (!draft || Date.now() - draft.at > WEEK) {
              window.localStorage.removeItem(name);
            }
          } catch (e) {
            window.localStorage.removeItem(name);
          }
        }
      }
    }

    var initial = snapshot();
    var draft = read();
    dropOld();
    // A page sent back with the reviewer's own input (a refusal, a conflict) already shows it: nothing to restore.
    if (draft && draft.basis === basis && form.getAttribute("data-submitted") !== "1" && !same(draft.values, initial)) {
      apply(draft.values);
      if (notice) {
        notice.querySelector("[data-draft-time]").textContent = ago(Date.now() - draft.at);
        notice.hidden = false;
        notice.querySelector("[data-draft-discard]").addEventListener("click", function () {
          window.localStorage.removeItem(key);
          apply(initial);
          notice.hidden = true;
        });
      }
    } else if (draft && draft.basis !== basis) {
      window.localStorage.removeItem(key);  // a save landed since (someone's): that draft's starting point is gone
    }
    form.addEventListener("input", keep);
    form.addEventListener("change", keep);
  }

  document.addEventListener("review:page", setup);
  setup();
}());
