// Keyboard shortcuts of the decision page (loaded there only, after scorer-keys.js, which has the keys it shares
// with the review page: j k, c for the note, Ctrl+Enter, Esc, ?). The page works without them: every choice is a
// plain radio, the own values are ordinary inputs, and Save decision an ordinary form.
//   1–9        take the nth judgment's value for the focused scorer
//   o          my own value for the focused scorer
(function () {
  "use strict";

  var form = document.getElementById("decision-form");
  if (!form) {
    return;
  }
  var keys = window.scorerKeys({ textBox: "decision-note", onKey: function (key, current) {
    if (current && key === "o") {
      own(current);
      return true;
    }
    return Boolean(current && /^[1-9]$/.test(key) && take(current, parseInt(key, 10)));
  } });
  keys.bind(form);

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

  var rows = keys.rows;
  var firstError = rows.filter(function (row) { return row.classList.contains("has-error"); })[0];
  var firstDiffer = rows.filter(function (row) { return row.classList.contains("is-differ"); })[0];
  keys.activate(rows.indexOf(firstError || firstDiffer || rows[0]));
})();
