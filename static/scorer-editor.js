// The scorer config editor, enhanced. Without this script the same buttons submit the form and the server
// adds, removes and moves rows and makes keys from labels; with it, those happen in place:
//   [data-row-action="add|up|down|remove"]   edit the option rows without a round trip
//   [data-option-label] → [data-option-key]  the key follows the label until the key is edited by hand
//   [data-selection-mode]                    "at least / at most" are only sent for multiple choice
(function () {
  "use strict";

  // The same rule as the server's suggest_option_key: lowercase, runs of other characters become "_".
  function slug(label) {
    return label.trim().toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 128) || "option";
  }

  function uniqueKey(base, taken) {
    var key = base, n = 2;
    while (taken.indexOf(key) !== -1) {
      var suffix = "_" + n;
      key = base.slice(0, 128 - suffix.length) + suffix;
      n += 1;
    }
    return key;
  }

  function rowsOf(editor) {
    return Array.prototype.slice.call(editor.querySelectorAll("[data-option-row]"));
  }

  function renumber(editor) {
    rowsOf(editor).forEach(function (row, i) {
      var n = i + 1;
      row.querySelector("[data-option-pos]").textContent = n;
      row.querySelector("[data-option-label]").setAttribute("aria-label", "Label of option " + n);
      row.querySelector("[data-option-key]").setAttribute("aria-label", "Key of option " + n);
      row.querySelectorAll("[data-row-action]").forEach(function (button) {
        var action = button.getAttribute("data-row-action");
        button.value = action + "-" + i;
        var verb = { up: "Move option " + n + " up", down: "Move option " + n + " down", remove: "Remove option " + n }[action];
        button.setAttribute("aria-label", verb);
      });
    });
  }

  function blankRow(editor) {
    var rows = rowsOf(editor);
    var row = rows[rows.length - 1].cloneNode(true);
    row.classList.remove("has-error");
    row.querySelectorAll(".field-error").forEach(function (p) { p.remove(); });
    row.querySelectorAll("input").forEach(function (input) {
      input.value = "";
      input.removeAttribute("aria-invalid");
      input.removeAttribute("data-key-edited");
    });
    return row;
  }

  function otherKeys(editor, except) {
    return rowsOf(editor).filter(function (row) { return row !== except; }).map(function (row) {
      return row.querySelector("[data-option-key]").value.trim().toLowerCase();
    }).filter(Boolean);
  }

  function setUpOptions(editor) {
    var body = editor.querySelector("[data-option-rows]");
    editor.addEventListener("click", function (event) {
      var button = event.target.closest("[data-row-action]");
      if (!button) { return; }
      event.preventDefault();
      var action = button.getAttribute("data-row-action");
      var row = button.closest("[data-option-row]");
      if (action === "add") {
        var fresh = blankRow(editor);
        body.appendChild(fresh);
        renumber(editor);
        fresh.querySelector("[data-option-label]").focus();
        return;
      }
      if (action === "remove") {
        var next = row.nextElementSibling || row.previousElementSibling;
        if (rowsOf(editor).length === 1) {
          body.appendChild(blankRow(editor));
          next = body.lastElementChild;
        }
        row.remove();
        renumber(editor);
        if (next) { next.querySelector("[data-option-label]").focus(); }
        return;
      }
      if (action === "up" && row.previousElementSibling) {
        body.insertBefore(row, row.previousElementSibling);
      } else if (action === "down" && row.nextElementSibling) {
        body.insertBefore(row.nextElementSibling, row);
      }
      renumber(editor);
      button.focus();
    });

    editor.addEventListener("input", function (event) {
      var input = event.target;
      var row = input.closest("[data-option-row]");
      if (!row) { return; }
      var key = row.querySelector("[data-option-key]");
      if (input.hasAttribute("data-option-key")) {
        // A key typed by hand is kept; clearing it lets the label lead again.
        if (key.value.trim()) { key.setAttribute("data-key-edited", ""); } else { key.removeAttribute("data-key-edited"); }
        return;
      }
      if (input.hasAttribute("data-option-label") && !key.hasAttribute("data-key-edited")) {
        key.value = input.value.trim() ? uniqueKey(slug(input.value), otherKeys(editor, row)) : "";
      }
    });
  }

  function setUpSelection(form) {
    var radios = form.querySelectorAll("[data-selection-mode]");
    if (!radios.length) { return; }
    var bounds = form.querySelectorAll("[data-multiple-only] input");
    var note = form.querySelector("[data-multiple-only-note]");
    function sync() {
      var multiple = form.querySelector("[data-selection-mode]:checked");
      multiple = multiple && multiple.value === "multiple";
      bounds.forEach(function (input) { input.disabled = !multiple; });
      form.querySelectorAll("[data-multiple-only]").forEach(function (el) { el.classList.toggle("is-disabled", !multiple); });
      if (note) { note.hidden = multiple; }
    }
    radios.forEach(function (radio) { radio.addEventListener("change", sync); });
    sync();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-options-editor]").forEach(setUpOptions);
    document.querySelectorAll("form").forEach(setUpSelection);
  });
})();
