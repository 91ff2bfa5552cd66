// Keyboard shortcuts of the decision page (loaded there only). The page works without them: every choice is a plain
// radio, the own values are ordinary inputs, and Save decision an ordinary form.
//   j k ↓ ↑    next / previous scorer            1–9   take the nth judgment's value for the focused scorer
//   o          my own value for the focused scorer  c  write the note
//   Ctrl+Enter save the decision (also while typing)  Esc leave a text box   ?  show or hide the shortcut sheet
(function () {
  "use strict";

  var form = document.getElementById("decision-form");
  if (!form) {
    return;
  }
  var rows = Array.prototype.slice.call(form.querySelectorAll("[data-scorer]"));
  var sheet = document.getElementById("shortcut-sheet");
  var note = document.getElementById("decision-note");
  var active = -1;

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

  function rowOf(el) {
    return el && el.closest ? el.closest("[data-scorer]") : null;
  }

  function activate(index, moveFocus) {
    if (!rows.length) {
      return;
    }
    active = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach(function (row, i) {
      row.classList.toggle("is-active", i === active);
    });
    if (moveFocus !== false) {
      rows[active].focus();
      rows[active].scrollIntoView({ block: "nearest" });
    }
  }

  function choose(input) {
    input.checked = true;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // 1–9: the nth judgment's column of the focused row.
  function take(row, number) {
    var input = row.querySelector('input[type="radio"][value="j' + number + '"]');
    if (input) {
      choose(input);
    }
    return Boolean(input);
  }

  // o: choose "my own value" and go to its input (a number box, or the first option).
  function own(row) {
    var cell = row.querySelector("[data-own]");
    if (!cell) {
      return;
    }
    choose(cell.querySelector("[data-own-choice]"));
    var target = cell.querySelector('input[type="number"]') ||
      cell.querySelector('.own-options input:checked') || cell.querySelector('.own-options input');
    if (target) {
      target.focus();
      if (target.type === "number") {
        target.select();  // typing replaces the pre-filled value
      }
    }
  }

  function save() {
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  function toggleSheet(open) {
    if (sheet) {
      sheet.open = open === undefined ? !sheet.open : open;
    }
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var key = event.key;

    if (key === "Enter" && (event.ctrlKey || event.metaKey)) {
      if (form.contains(target) || !isTyping(target)) {
        event.preventDefault();
        save();
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
        activate(row ? rows.indexOf(row) : Math.max(active, 0));
      } else if (key === "Enter" && row) {
        event.preventDefault();  // Enter in a number box moves on instead of saving half a decision
        activate(rows.indexOf(row) + 1);
      }
      return;
    }

    var current = rows[active];
    if (key === "?") {
      event.preventDefault();
      toggleSheet();
    } else if (key === "Escape") {
      toggleSheet(false);
      if (rowOf(target)) {
        activate(rows.indexOf(rowOf(target)));
      }
    } else if (key === "j" || key === "ArrowDown") {
      event.preventDefault();
      activate(active + 1);
    } else if (key === "k" || key === "ArrowUp") {
      event.preventDefault();
      activate(active - 1);
    } else if (key === "c" && note) {
      event.preventDefault();
      note.focus();
    } else if (current && key === "o") {
      event.preventDefault();
      own(current);
    } else if (current && /^[1-9]$/.test(key)) {
      if (take(current, parseInt(key, 10))) {
        event.preventDefault();
      }
    }
  });

  // Touching an own value (typing a number, ticking an option) chooses "my own value" for that scorer.
  function ownTouched(event) {
    var cell = event.target.closest ? event.target.closest("[data-own]") : null;
    if (cell && !event.target.hasAttribute("data-own-choice")) {
      var choice = cell.querySelector("[data-own-choice]");
      if (!choice.checked) {
        choose(choice);
      }
    }
  }
  form.addEventListener("input", ownTouched);
  form.addEventListener("change", ownTouched);

  form.addEventListener("focusin", function (event) {
    var row = rowOf(event.target);
    if (row) {
      activate(rows.indexOf(row), false);
    }
  });

  var firstError = rows.filter(function (row) { return row.classList.contains("has-error"); })[0];
  var firstDiffer = rows.filter(function (row) { return row.classList.contains("is-differ"); })[0];
  activate(rows.indexOf(firstError || firstDiffer || rows[0]));
})();
