// Renders one item as the candidate sees it, for the test player, the practice test and
// the board's preview. Every interaction is a click or a key press: no drag and drop.
// LangCertItems.render(container, type, presentation, {labels}) -> {answer(), disable()}
(function () {
  "use strict";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "class") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  // Splits "a {{1}} b" into text parts and gap controls made by makeGap(name).
  function gappedText(text, makeGap) {
    var paragraph = el("p", { class: "item-text" });
    text.split(/(\{\{\d+\}\})/).forEach(function (part) {
      var match = part.match(/^\{\{(\d+)\}\}$/);
      paragraph.appendChild(match ? makeGap(match[1]) : document.createTextNode(part));
    });
    return paragraph;
  }

  function selectFor(name, options, labels) {
    var select = el("select", { "data-gap": name, "aria-label": labels.gap + " " + name });
    select.appendChild(el("option", { value: "", text: "…" }));
    options.forEach(function (option) {
      select.appendChild(el("option", { value: option, text: option }));
    });
    return select;
  }

  function gapAnswers(root) {
    var answer = {};
    root.querySelectorAll("[data-gap]").forEach(function (control) {
      answer[control.getAttribute("data-gap")] = control.value;
    });
    return answer;
  }

  // Ordering by clicks: pick parts one by one into the answer line; click again to remove.
  function orderer(root, first, parts, labels, block) {
    var chosen = [];
    var line = el("div", { class: "order-line" + (block ? " block" : ""), "aria-live": "polite" });
    var pool = el("div", { class: "order-pool" });
    var buttons = parts.map(function (part, index) {
      var button = el("button", { type: "button", class: "order-part", text: part,
        "data-index": String(index) });
      button.addEventListener("click", function () {
        chosen.push(index);
        button.disabled = true;
        draw();
      });
      pool.appendChild(button);
      return button;
    });
    function draw() {
      line.replaceChildren(el("span", { class: "order-first", text: first }));
      chosen.forEach(function (index, position) {
        var placed = el("button", { type: "button", class: "order-placed", text: parts[index],
          title: labels.remove });
        placed.addEventListener("click", function () {
          chosen.splice(position, 1);
          buttons[index].disabled = false;
          draw();
        });
        line.appendChild(placed);
      });
    }
    draw();
    root.appendChild(el("p", { class: "help", text: labels.orderHelp }));
    root.appendChild(line);
    root.appendChild(pool);
    return function () {
      return chosen.map(function (index) { return parts[index]; });
    };
  }

  function choices(root, question, options, name) {
    if (question) root.appendChild(el("p", { class: "item-question", text: question }));
    var list = el("div", { class: "choices", role: "radiogroup" });
    options.forEach(function (option, index) {
      var id = name + "-" + index;
      list.appendChild(el("div", { class: "choice" }, [
        el("input", { type: "radio", name: name, id: id, value: option }),
        el("label", { for: id, text: option }),
      ]));
    });
    root.appendChild(list);
    return function () {
      var checked = root.querySelector('input[name="' + name + '"]:checked');
      return checked ? checked.value : null;
    };
  }

  var renderers = {
    gap_select: function (root, shown, labels) {
      root.appendChild(gappedText(shown.text, function (name) {
        return selectFor(name, shown.gaps[name].options, labels);
      }));
      return function () { return gapAnswers(root); };
    },
    gap_text: function (root, shown, labels) {
      root.appendChild(gappedText(shown.text, function (name) {
        var input = el("input", { type: "text", "data-gap": name, autocomplete: "off",
          autocapitalize: "off", spellcheck: "false", "aria-label": labels.gap + " " + name,
          class: "gap-input" });
        var root_word = shown.gaps[name].root;
        return root_word
          ? el("span", { class: "gap-with-root" }, [input, el("span", { class: "root",
            text: " (" + root_word + ")" })])
          : input;
      }));
      return function () { return gapAnswers(root); };
    },
    word_bank: function (root, shown, labels) {
      root.appendChild(el("p", { class: "bank" }, [labels.bank + " ", el("strong", {
        text: shown.bank.join(" · ") })]));
      root.appendChild(gappedText(shown.text, function (name) {
        return selectFor(name, shown.bank, labels);
      }));
      return function () { return gapAnswers(root); };
    },
    word_order: function (root, shown, labels) {
      return orderer(root, shown.first, shown.words, labels, false);
    },
    sentence_order: function (root, shown, labels) {
      return orderer(root, shown.first, shown.sentences, labels, true);
    },
    multiple_choice: function (root, shown) {
      if (shown.passage) root.appendChild(el("blockquote", { class: "passage",
        text: shown.passage }));
      return choices(root, shown.question, shown.options, "choice");
    },
    listening: function (root, shown, labels) {
      var question = shown.question;
      var inner = el("div", { class: "listening-question" });
      root.appendChild(inner);
      return renderers[question.type](inner, question, labels);
    },
  };

  var defaultLabels = {
    gap: "Gap", bank: "Words:", remove: "Remove",
    orderHelp: "Click the parts in order. Click a placed part to take it back.",
  };

  window.LangCertItems = {
    render: function (container, type, shown, options) {
      var labels = Object.assign({}, defaultLabels, (options || {}).labels || {});
      container.replaceChildren();
      if (shown.instruction) container.appendChild(el("p", { class: "instruction",
        text: shown.instruction }));
      var getAnswer = renderers[type](container, shown, labels);
      return {
        answer: getAnswer,
        disable: function () {
          container.querySelectorAll("input, select, button").forEach(function (control) {
            control.disabled = true;
          });
        },
      };
    },
  };
})();
