/* Small form helpers, no dependencies.
 *
 * Autocomplete: <input data-autocomplete-url="/accounts/autocomplete/" data-autocomplete-target="ID of a hidden
 * input" data-autocomplete-detail="ID of an element for the pick's detail line" aria-controls="ID of a <ul
 * role=listbox>">. The endpoint answers {"results": [{"id", "name", "detail"}]}. Arrow keys move, Enter or a
 * click picks, Escape closes. Typing clears the pick, so the hidden id always matches the visible name.
 *
 * <form data-submit-shortcut>: Ctrl+Enter or Cmd+Enter submits it from any field.
 * Either way, the first field the server marked invalid gets the focus.
 */
(function () {
  "use strict";

  function setupAutocomplete(input) {
    var hidden = document.getElementById(input.dataset.autocompleteTarget);
    var detail = document.getElementById(input.dataset.autocompleteDetail || "");
    var list = document.getElementById(input.getAttribute("aria-controls"));
    if (!hidden || !list) return;
    var results = [];
    var active = -1;
    var timer = null;
    var controller = null;
    var pickedName = hidden.value ? input.value : null;

    function close() {
      list.hidden = true;
      list.replaceChildren();
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      options.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0 && options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function pick(index) {
      var choice = results[index];
      if (!choice) return;
      hidden.value = choice.id;
      input.value = choice.name;
      pickedName = choice.name;
      if (detail) detail.textContent = choice.detail || "";
      close();
      input.dispatchEvent(new CustomEvent("autocomplete:pick", { bubbles: true, detail: choice }));
    }

    function render() {
      list.replaceChildren();
      if (!results.length) {
        var empty = document.createElement("li");
        empty.className = "autocomplete-empty";
        empty.textContent = "No matching account";
        list.appendChild(empty);
      }
      results.forEach(function (choice, index) {
        var option = document.createElement("li");
        option.id = list.id + "-" + index;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        var name = document.createElement("span");
        name.textContent = choice.name; // textContent: names come from customers' data, never parsed as HTML
        option.appendChild(name);
        if (choice.detail) {
          var extra = document.createElement("small");
          extra.textContent = choice.detail;
          option.appendChild(extra);
        }
        // mousedown fires before the input loses focus, so the pick is not lost to the blur handler.
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          pick(index);
        });
        list.appendChild(option);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(results.length ? 0 : -1);
    }

    function search() {
      var query = input.value.trim();
      if (!query) {
        results = [];
        close();
        return;
      }
      if (controller) controller.abort();
      controller = new AbortController();
      var url = input.dataset.autocompleteUrl + "?q=" + encodeURIComponent(query);
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", signal: controller.signal })
        .then(function (response) {
          if (!response.ok) throw new Error("autocomplete answered " + response.status);
          return response.json();
        })
        .then(function (data) {
          if (input.value.trim() !== query || document.activeElement !== input) return;
          results = data.results || [];
          render();
        })
        .catch(function (error) {
          if (error.name !== "AbortError") close();
        });
    }

    input.addEventListener("input", function () {
      if (pickedName !== null && input.value !== pickedName) {
        hidden.value = "";
        pickedName = null;
        if (detail) detail.textContent = "";
      }
      clearTimeout(timer);
      timer = setTimeout(search, 150);
    });

    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && results.length > 0;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) search();
        else highlight((active + 1) % results.length);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (open) highlight(active <= 0 ? results.length - 1 : active - 1);
      } else if (event.key === "Enter" && !event.ctrlKey && !event.metaKey) {
        // A plain Enter here picks; it never submits a half-chosen account.
        event.preventDefault();
        if (open) pick(active >= 0 ? active : 0);
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      }
    });

    input.addEventListener("blur", close);
  }

  function setupSubmitShortcut(form) {
    form.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        if (form.requestSubmit) form.requestSubmit();
        else form.submit();
      }
    });
  }

  function focusFirstError() {
    var invalid = document.querySelector("form [aria-invalid=true]");
    if (invalid) invalid.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-autocomplete-url]").forEach(setupAutocomplete);
    document.querySelectorAll("form[data-submit-shortcut]").forEach(setupSubmitShortcut);
    focusFirstError();
  });
})();
