// Keyboard shortcuts of the review page (loaded there only), and its live Pass / Fail beside each scorer with a
// passing rule. The page works without them: every scorer is a
// plain radio, checkbox or number input, and Save & next, Skip and Previous are ordinary forms and links.
//   1–9        pick an option of the focused scorer (toggle it on a multiple-choice scorer; start typing a number)
//   j k ↓ ↑    next / previous scorer          y n     yes / no on a boolean scorer
//   c          write a comment                 s       skip (type a reason, then Enter)
//   Ctrl+Enter save & next (also while typing) Esc     leave a text box      ?   show or hide the shortcut sheet
(function () {
  "use strict";

  var form = document.getElementById("review-form");
  if (!form) {
    return;
  }
  var scorers = Array.prototype.slice.call(form.querySelectorAll("[data-scorer]"));
  var sheet = document.getElementById("shortcut-sheet");
  var comment = document.getElementById("review-comment");
  var reason = document.getElementById("skip-reason");
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

  function scorerOf(el) {
    return el && el.closest ? el.closest("[data-scorer]") : null;
  }

  function activate(index, moveFocus) {
    if (!scorers.length) {
      return;
    }
    active = Math.max(0, Math.min(scorers.length - 1, index));
    scorers.forEach(function (scorer, i) {
      scorer.classList.toggle("is-active", i === active);
    });
    if (moveFocus !== false) {
      scorers[active].focus();
      scorers[active].scrollIntoView({ block: "nearest" });
    }
  }

  function choices(scorer) {
    return Array.prototype.slice.call(scorer.querySelectorAll('input[type="radio"], input[type="checkbox"]'));
  }

  function changed(input) {
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // A multiple-choice scorer honours its maximum: once reached, the other boxes are disabled.
  function applyLimits(scorer) {
    if (scorer.getAttribute("data-kind") !== "categorical-multiple") {
      return;
    }
    var max = parseInt(scorer.getAttribute("data-max"), 10);
    var boxes = choices(scorer);
    var count = boxes.filter(function (box) { return box.checked; }).length;
    boxes.forEach(function (box) {
      box.disabled = !box.checked && !isNaN(max) && count >= max;
    });
    var hint = scorer.querySelector("[data-hint]");
    if (hint) {
      hint.setAttribute("data-count", count + " chosen");
    }
  }

  function refuse(scorer) {
    var hint = scorer.querySelector("[data-hint]");
    if (hint) {
      hint.classList.remove("hint-refused");
      void hint.offsetWidth;  // restart the animation
      hint.classList.add("hint-refused");
      window.setTimeout(function () { hint.classList.remove("hint-refused"); }, 1500);
    }
  }

  function pick(scorer, number) {
    var kind = scorer.getAttribute("data-kind");
    var options = choices(scorer);
    var input = options[number - 1];
    if (!input) {
      return false;
    }
    if (kind === "categorical-multiple") {
      if (input.disabled) {
        refuse(scorer);
        return true;
      }
      input.checked = !input.checked;
    } else {
      input.checked = true;
    }
    changed(input);
    return true;
  }

  function pickBoolean(scorer, value) {
    var input = scorer.querySelector('input[type="radio"][value="' + value + '"]');
    if (input) {
      input.checked = true;
      changed(input);
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
      var scorer = scorerOf(target);
      if (key === "Escape") {
        event.preventDefault();
        target.blur();
        activate(scorer ? scorers.indexOf(scorer) : Math.max(active, 0));
      } else if (key === "Enter" && scorer) {
        event.preventDefault();  // Enter in a number box moves on instead of saving half a review
        activate(scorers.indexOf(scorer) + 1);
      }
      return;
    }

    var current = scorers[active];
    if (key === "?") {
      event.preventDefault();
      toggleSheet();
    } else if (key === "Escape") {
      toggleSheet(false);
    } else if (key === "j" || key === "ArrowDown") {
      event.preventDefault();
      activate(active + 1);
    } else if (key === "k" || key === "ArrowUp") {
      event.preventDefault();
      activate(active - 1);
    } else if (key === "c" && comment) {
      event.preventDefault();
      comment.focus();
    } else if (key === "s" && reason) {
      event.preventDefault();
      reason.focus();
    } else if (current && (key === "y" || key === "n") && current.getAttribute("data-kind") === "boolean") {
      event.preventDefault();
      pickBoolean(current, key === "y" ? "true" : "false");
    } else if (current && /^[0-9.\-]$/.test(key) && current.getAttribute("data-kind") === "numeric") {
      // Start typing the number, replacing the old one: focus moves to the box during keydown, so the key
      // lands in it.
      var box = current.querySelector('input[type="number"]');
      box.value = "";
      box.focus();
    } else if (current && /^[1-9]$/.test(key)) {
      if (pick(current, parseInt(key, 10))) {
        event.preventDefault();
      }
    }
  });

  // Pass / fail of what is picked or typed, decided exactly as services/passing.py `verdict` does, from the rule's
  // data the page puts on the scorer (data-true-is-failure, data-pass-operator and data-pass-threshold,
  // data-pass-categories). null is neutral: nothing picked, or no number.
  function verdict(scorer) {
    var kind = scorer.getAttribute("data-kind");
    if (kind === "boolean") {
      var picked = scorer.querySelector('input[type="radio"]:checked');
      if (!picked) {
        return null;
      }
      return (picked.value === "true") !== (scorer.getAttribute("data-true-is-failure") === "true");
    }
    if (kind === "numeric") {
      var text = scorer.querySelector('input[type="number"]').value.trim();
      var value = text === "" ? NaN : Number(text);
      if (!isFinite(value)) {
        return null;
      }
      var threshold = parseFloat(scorer.getAttribute("data-pass-threshold"));
      return scorer.getAttribute("data-pass-operator") === "gte" ? value >= threshold : value <= threshold;
    }
    var categories = JSON.parse(scorer.getAttribute("data-pass-categories") || "[]");
    var chosen = choices(scorer).filter(function (input) { return input.checked; });
    if (!chosen.length) {
      return null;  // an empty selection is no score at all: nothing is saved for it
    }
    return chosen.every(function (input) { return categories.indexOf(input.value) !== -1; });
  }

  // Show the one verdict the page rendered for this outcome (the markup is the server's, the choice is ours).
  function showVerdict(scorer) {
    var box = scorer.querySelector("[data-verdict]");
    if (!box || !scorer.hasAttribute("data-pass-rule")) {
      return;
    }
    var result = verdict(scorer);
    var state = result === true ? "pass" : result === false ? "fail" : "none";
    Array.prototype.forEach.call(box.querySelectorAll("[data-verdict-when]"), function (variant) {
      variant.hidden = variant.getAttribute("data-verdict-when") !== state;
    });
  }

  form.addEventListener("input", function (event) {
    var scorer = scorerOf(event.target);
    if (scorer) {
      showVerdict(scorer);
    }
  });

  form.addEventListener("focusin", function (event) {
    var scorer = scorerOf(event.target);
    if (scorer) {
      activate(scorers.indexOf(scorer), false);
    }
  });

  form.addEventListener("change", function (event) {
    var scorer = scorerOf(event.target);
    if (scorer) {
      applyLimits(scorer);
      showVerdict(scorer);
    }
  });

  // A value the browser restored (back, reload) is not the one the page was rendered with: decide it afresh.
  // Untouched scorers keep the verdict the page shows (a saved review's stored one).
  function restored(scorer) {
    return Array.prototype.some.call(scorer.querySelectorAll("input:not([type=hidden])"), function (input) {
      return input.type === "radio" || input.type === "checkbox" ? input.checked !== input.defaultChecked
        : input.value !== input.defaultValue;
    });
  }

  scorers.forEach(applyLimits);
  scorers.filter(restored).forEach(showVerdict);
  window.addEventListener("pageshow", function () { scorers.filter(restored).forEach(showVerdict); });
  var firstError = scorers.filter(function (scorer) { return scorer.classList.contains("has-error"); })[0];
  activate(firstError ? scorers.indexOf(firstError) : 0);
})();
