// Keyboard shortcuts of the review page (loaded there only, after scorer-keys.js, which has the keys it shares
// with the decision page: j k, c, Ctrl+Enter, Esc, Enter in a number box, ?), and its live Pass / Fail beside each
// scorer with a passing rule. The page works without them: every scorer is a plain radio, checkbox or number
// input, and Save & next, Skip and Previous are ordinary forms and links.
//   1–9        pick an option of the focused scorer (toggle it on a multiple-choice scorer; start typing a number)
//   y n        yes / no on a boolean scorer
//              (a pick on a single-choice or yes/no scorer moves on to the next scorer, unless the reviewer
//              turned auto-advance off: the form's data-auto-advance)
//   s          skip with a reason (type it, then Enter)
// Shift+S (skip now), p (previous), e (edit the last one) and w (the next queue with work) are the page's
// data-key links and forms, which app.js follows.
// review-loop.js may swap in the next trace's page: "review:page" sets everything up again on the new form.
(function () {
  "use strict";

  var form = null;
  var keys = window.scorerKeys({ textBox: "review-comment", onKey: onKey });

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

  function autoAdvance(scorer) {
    var kind = scorer.getAttribute("data-kind");
    if (form.getAttribute("data-auto-advance") === "1" && (kind === "categorical-single" || kind === "boolean")) {
      keys.activate(keys.rows.indexOf(scorer) + 1);
    }
  }

  function onKey(key, current) {
    if (key === "s") {
      var reason = document.getElementById("skip-reason");
      if (reason) {
        reason.focus();
      }
      return Boolean(reason);
    }
    if (!current) {
      return false;
    }
    var kind = current.getAttribute("data-kind");
    if ((key === "y" || key === "n") && kind === "boolean") {
      pickBoolean(current, key === "y" ? "true" : "false");
      autoAdvance(current);
      return true;
    }
    if (/^[0-9.\-]$/.test(key) && kind === "numeric") {
      // Start typing the number, replacing the old one: focus moves to the box during keydown, so the key
      // lands in it.
      var box = current.querySelector('input[type="number"]');
      box.value = "";
      box.focus();
      return false;
    }
    if (/^[1-9]$/.test(key) && pick(current, parseInt(key, 10))) {
      autoAdvance(current);
      return true;
    }
    return false;
  }

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

  // A value the browser restored (back, reload) is not the one the page was rendered with: decide it afresh.
  // Untouched scorers keep the verdict the page shows (a saved review's stored one).
  function restored(scorer) {
    return Array.prototype.some.call(scorer.querySelectorAll("input:not([type=hidden])"), function (input) {
      return input.type === "radio" || input.type === "checkbox" ? input.checked !== input.defaultChecked
        : input.value !== input.defaultValue;
    });
  }

  function setup() {
    form = document.getElementById("review-form");
    if (!form) {
      return;
    }
    keys.bind(form);
    var scorers = keys.rows;
    form.addEventListener("input", function (event) {
      var scorer = keys.rowOf(event.target);
      if (scorer) {
        showVerdict(scorer);
      }
    });
    form.addEventListener("change", function (event) {
      var scorer = keys.rowOf(event.target);
      if (scorer) {
        applyLimits(scorer);
        showVerdict(scorer);
      }
    });
    // A click with the pointer (detail > 0; arrow keys inside a radio group click too, with detail 0) moves on
    // like a key does.
    form.addEventListener("click", function (event) {
      var scorer = keys.rowOf(event.target);
      if (scorer && event.detail > 0 && event.target.type === "radio") {
        autoAdvance(scorer);
      }
    });
    scorers.forEach(applyLimits);
    scorers.filter(restored).forEach(showVerdict);
    var firstError = scorers.filter(function (scorer) { return scorer.classList.contains("has-error"); })[0];
    keys.activate(firstError ? scorers.indexOf(firstError) : 0);
  }

  window.addEventListener("pageshow", function () {
    if (form) {
      keys.rows.filter(restored).forEach(showVerdict);
    }
  });
  // A collapsed span or raw event of a long trace comes without its body (the page paints sooner): opening it
  // fetches the body, rendered by the server as the trace page shows it. Without this, its link opens the event.
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    var body = details.open && details.querySelector ? details.querySelector(":scope > [data-lazy-body]") : null;
    if (!body) {
      return;
    }
    var url = body.getAttribute("data-lazy-body");
    body.removeAttribute("data-lazy-body");
    fetch(url, { credentials: "same-origin" }).then(function (response) {
      return response.ok ? response.text() : Promise.reject(new Error(String(response.status)));
    }).then(function (html) {
      body.innerHTML = html;  // the server's own escaped rendering of the event
    }, function () {
      body.setAttribute("data-lazy-body", url);  // try again on the next opening; the link stays meanwhile
    });
  }, true);

  // The rest of a long conversation and of a long span tree, fetched when the reviewer scrolls near them (the page
  // paints their first messages and rows sooner): each [data-lazy-more] placeholder is replaced by the server's
  // own escaped rendering at its address. Without this, the placeholder's link opens the trace page.
  var laterObserver = null;

  function bringTheRest(more) {
    var url = more.getAttribute("data-lazy-more");
    more.removeAttribute("data-lazy-more");
    fetch(url, { credentials: "same-origin" }).then(function (response) {
      return response.ok ? response.text() : Promise.reject(new Error(String(response.status)));
    }).then(function (html) {
      var parsed = document.createElement("template");
      parsed.innerHTML = html;  // parsed inert: a template's content runs and loads nothing
      var next = parsed.content.querySelector("summary, a[href], button, [tabindex]");
      var focused = more.contains(document.activeElement);
      more.replaceWith(parsed.content);
      if (focused && next) {
        next.focus();  // a keyboard reader on the placeholder's link goes on from the first of the new rows
      }
    }, function () {
      more.setAttribute("data-lazy-more", url);  // the placeholder's link stays; try again when next scrolled to
      laterObserver.observe(more);
    });
  }

  function watchForTheRest() {
    if (laterObserver) {
      laterObserver.disconnect();  // a swapped-out page's placeholders are gone
    }
    var placeholders = document.querySelectorAll("[data-lazy-more]");
    if (!placeholders.length || !window.IntersectionObserver) {
      return;
    }
    laterObserver = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting && entry.target.hasAttribute("data-lazy-more")) {
          laterObserver.unobserve(entry.target);
          bringTheRest(entry.target);
        }
      });
    }, { rootMargin: "300px" });
    Array.prototype.forEach.call(placeholders, function (more) { laterObserver.observe(more); });
  }

  document.addEventListener("review:page", setup);
  document.addEventListener("review:page", watchForTheRest);
  setup();
  watchForTheRest();
})();
