// Small enhancements shared by every page; each page works without them.
//   form[data-confirm="Question?"]        ask before submitting (a destructive action)
//   select[data-autosubmit]               submit the select's form when it changes (project switcher, filters)
//   button[data-copy="text"]              copy the text to the clipboard (the button is hidden without JS)
//   input[data-check-all="name"]          a header checkbox ticking every checkbox named `name` in its form
//   button[data-toggle-details="sel"]     open or close every <details> matching the selector
//   [data-key="p"] on a link or a form    a key that follows the link or submits the form (outside text boxes)
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    } else if (question && form.elements.confirmed) {
      form.elements.confirmed.value = "yes";  // asked here, so the server need not ask again on its page
    }
  }, true);

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches("select[data-autosubmit]") && el.form) {
      if (typeof el.form.requestSubmit === "function") {
        el.form.requestSubmit();
      } else {
        el.form.submit();
      }
    }
    if (el.matches("input[data-check-all]") && el.form) {
      var boxes = el.form.querySelectorAll('input[type="checkbox"][name="' + el.getAttribute("data-check-all") + '"]');
      boxes.forEach(function (box) { box.checked = el.checked; });
    }
  });

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain http on a LAN host: fall back to a hidden textarea and execCommand.
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = document.execCommand("copy");
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("copy failed")); }
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (button) {
      var label = button.textContent;
      copyText(button.getAttribute("data-copy")).then(function () {
        button.textContent = "Copied";
        button.classList.add("copied");
        window.setTimeout(function () {
          button.textContent = label;
          button.classList.remove("copied");
        }, 1500);
      }, function () {
        button.textContent = "Select and copy";
      });
      return;
    }
    var toggle = event.target.closest("button[data-toggle-details]");
    if (toggle) {
      var blocks = document.querySelectorAll(toggle.getAttribute("data-toggle-details"));
      var open = Array.prototype.some.call(blocks, function (d) { return !d.open; });
      blocks.forEach(function (d) { d.open = open; });
    }
  });

  function isTyping(el) {
    var tag = el && el.tagName ? el.tagName.toLowerCase() : "";
    return tag === "textarea" || tag === "select" || (el && el.isContentEditable) ||
      (tag === "input" && ["radio", "checkbox", "button", "submit", "reset"].indexOf(el.type) === -1);
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.key.length !== 1 ||
        isTyping(event.target)) {
      return;
    }
    var el = document.querySelector('[data-key="' + CSS.escape(event.key) + '"]');
    if (!el) {
      return;
    }
    event.preventDefault();
    if (el.tagName.toLowerCase() !== "form") {
      el.click();
    } else if (typeof el.requestSubmit === "function") {
      el.requestSubmit();
    } else {
      el.submit();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    // Controls that only work with JavaScript are hidden in the markup and shown here.
    document.querySelectorAll("button[data-copy][hidden], input[data-check-all][hidden], button[data-toggle-details][hidden]")
      .forEach(function (el) { el.hidden = false; });
  });
})();
