// The practice test: each item checked on the server, nothing recorded.
(function () {
  "use strict";
  var items = JSON.parse(document.getElementById("practice-items").textContent);
  var L = JSON.parse(document.getElementById("player-labels").textContent);
  var csrf = document.cookie.match(/(?:^|; )csrftoken=([^;]*)/);
  csrf = csrf ? decodeURIComponent(csrf[1]) : "";
  document.querySelectorAll("section.practice").forEach(function (section, index) {
    var item = items[index];
    var handle = LangCertItems.render(section.querySelector(".item-card"), item.type, item.presentation, { labels: L.item });
    section.querySelector(".check-answer").addEventListener("click", function () {
      fetch("/test/api/practice/", { method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ item: item.code, answer: handle.answer() }) })
        .then(function (r) { return r.json(); })
        .then(function (result) {
          section.querySelector(".feedback").textContent = L.practice_score
            .replace("%(points)s", result.points).replace("%(max)s", result.max);
        });
    });
  });
})();
