// The keyboard shared by the pages that score a trace scorer by scorer (the review page and the decision page):
//   j k ↓ ↑    next / previous scorer           c     the page's text box (comment, note)
//   Ctrl+Enter save (also while typing)          Esc   leave a text box / close the sheet
//   Enter      in a number box: on to the next scorer instead of saving half a form
//   ?          show or hide the shortcut sheet
// Each page adds its own keys through `onKey(key, current, event)`, which answers whether it took the key. The
// form may be replaced (review-loop.js swaps in the next trace): `bind` points the keys at the new one.
(function () {
  "use strict";

  function isTyping(el) {
    if (!el || !el.tagName) {
      return false;
    }
    var tag = el.tagName.toLowerCase();
    if (tag === "textarea" || tag === "select" || el.isContentEditable) {
      return true;
    }
    if (tag !== "input") {
      return false;
    }
    return ["radio", "checkbox", "button", "submit", "reset", "hidden"].indexOf((el.type || "text").toLowerCase()) === -1;
  }

  function submit(form) {
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  // options: textBox (the id of the c key's text box), onKey (the page's own keys).
  window.scorerKeys = function (options) {
    var keys = { form: null, rows: [], active: -1, isTyping: isTyping, submit: submit };

    function rowOf(el) {
      return el && el.closest ? el.closest("[data-scorer]") : null;
    }

    keys.rowOf = rowOf;

    keys.activate = function (index, moveFocus) {
      if (!keys.rows.length) {
        return;
      }
      keys.active = Math.max(0, Math.min(keys.rows.length - 1, index));
      keys.rows.forEach(function (row, i) {
        row.classList.toggle("is-active", i === keys.active);
      });
      if (moveFocus !== false) {
        keys.rows[keys.active].focus();
        keys.rows[keys.active].scrollIntoView({ block: "nearest" });
      }
    };

    keys.bind = function (form) {
      keys.form = form;
      keys.rows = Array.prototype.slice.call(form.querySelectorAll("[data-scorer]"));
      keys.active = -1;
      form.addEventListener("focusin", function (event) {
        var row = rowOf(event.target);
        if (row) {
          keys.activate(keys.rows.indexOf(row), false);
        }
      });
    };

    function toggleSheet(open) {
      var sheet = document.getElementById("shortcut-sheet");
      if (sheet) {
        sheet.open = open === undefined ? !sheet.open : open;
      }
    }

    document.addEventListener("keydown", function (event) {
      var form = keys.form;
      if (!form || !document.contains(form) || event.defaultPrevented) {
        return;
      }
      var target = event.target;
      var key = event.key;

      if (key === "Enter" && (event.ctrlKey || event.metaKey)) {
        if (form.contains(target) || !isTyping(target)) {
          event.preventDefault();
          submit(form);
        }
        return;
      }
      if (event.ctrlKey || event.metaKey || event.altKey) {
        return;
      }
      if (isTyping(target)) {
        var row = rowOf(target);
        if (key === "Escape") {
          event.preventDefault();
          target.blur();
          keys.activate(row ? keys.rows.indexOf(row) : Math.max(keys.active, 0));
        } else if (key === "Enter" && row) {
          event.preventDefault();
          keys.activate(keys.rows.indexOf(row) + 1);
        }
        return;
      }

      var textBox = options.textBox && document.getElementById(options.textBox);
      if (key === "?") {
        event.preventDefault();
        toggleSheet();
      } else if (key === "Escape") {
        toggleSheet(false);
        if (rowOf(target)) {
          keys.activate(keys.rows.indexOf(rowOf(target)));
        }
      } else if (key === "j" || key === "ArrowDown") {
        event.preventDefault();
        keys.activate(keys.active + 1);
      } else if (key === "k" || key === "ArrowUp") {
        event.preventDefault();
        keys.activate(keys.active - 1);
      } else if (key === "c" && textBox) {
        event.preventDefault();
        textBox.focus();
      } else if (options.onKey && options.onKey(key, keys.rows[keys.active], event)) {
        event.preventDefault();
      }
    });

    return keys;
  };
})();
