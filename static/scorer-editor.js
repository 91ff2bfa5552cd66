// The scorer config editor, enhanced. Without this script the same buttons submit the form and the server
// adds, removes and moves rows and makes keys from labels; with it, those happen in place:
//   [data-row-action="add|up|down|remove"]   edit the option rows without a round trip
//   [data-option-label] → [data-option-key]  the key follows the label until the key is edited by hand
//   [data-selection-mode]                    "at least / at most" are only sent for multiple choice
//   [data-rule-editor]                       the passing rule in words ([data-rule-preview]) as the user edits,
//                                            in the words of services.passing.describe ("≥ 4 passes",
//                                            "No means pass", "Good and Great pass")
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
      var passes = row.querySelector("[data-option-passes]");
      if (passes) {
        passes.value = i;
        passes.setAttribute("aria-label", "Option " + n + " passes");
      }
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
      if (input.type === "checkbox") {
        input.checked = false;
        return;
      }
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

  // --- the passing rule in words: the same wording as services.passing.describe ---------------------------

  var OPERATORS = { gte: "≥", lte: "≤" };

  function numericRule(form) {
    var operator = form.querySelector("[data-rule-operator]:checked");
    operator = operator ? operator.value : "";
    var threshold = form.querySelector("[name=threshold]");
    if (threshold) {
      threshold.disabled = !operator;
      form.querySelectorAll("[data-rule-threshold]").forEach(function (el) { el.classList.toggle("is-disabled", !operator); });
    }
    var text = threshold ? threshold.value.trim() : "";
    var value = Number(text);
    if (!operator || text === "" || !isFinite(value)) { return null; }
    return OPERATORS[operator] + " " + String(value) + " passes";
  }

  function answerLabel(form, name, fallback) {
    var input = form.querySelector("[name=" + name + "]");
    return (input && input.value.trim()) || fallback;
  }

  function booleanRule(form) {
    var yes = answerLabel(form, "true_label", "Yes");
    var no = answerLabel(form, "false_label", "No");
    form.querySelectorAll("[data-rule-choice]").forEach(function (span) {
      span.textContent = (span.getAttribute("data-rule-choice") === "true" ? no : yes) + " means pass";
    });
    var choice = form.querySelector("[data-true-is-failure]:checked");
    return (choice && choice.value === "true" ? no : yes) + " means pass";
  }

  function categoricalRule(form) {
    var names = [];
    form.querySelectorAll("[data-option-row]").forEach(function (row) {
      var label = row.querySelector("[data-option-label]").value.trim();
      var key = row.querySelector("[data-option-key]").value.trim();
      var passes = row.querySelector("[data-option-passes]");
      if ((label || key) && passes && passes.checked) { names.push(label || key); }
    });
    if (!names.length) { return null; }
    if (names.length === 1) { return names[0] + " passes"; }
    return names.slice(0, -1).join(", ") + " and " + names[names.length - 1] + " pass";
  }

  var RULES = { numeric: numericRule, "boolean": booleanRule, categorical: categoricalRule };

  function setUpRule(section) {
    var form = section.closest("form");
    var preview = section.querySelector("[data-rule-preview]");
    var describe = RULES[section.getAttribute("data-rule-editor")];
    if (!form || !preview || !describe) { return; }
    function sync() { preview.textContent = describe(form) || preview.getAttribute("data-neutral"); }
    form.addEventListener("input", sync);
    form.addEventListener("change", sync);
    form.addEventListener("click", function (event) {
      // Rows moved or removed by the buttons above change the order and the set of passing options.
      if (event.target.closest("[data-row-action]")) { window.setTimeout(sync, 0); }
    });
    sync();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-options-editor]").forEach(setUpOptions);
    document.querySelectorAll("form").forEach(setUpSelection);
    document.querySelectorAll("[data-rule-editor]").forEach(setUpRule);
  });
})();
