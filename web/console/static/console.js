// trustplane console: the only script the pages load; every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("collect-form");
  if (!form) { return; }
  form.addEventListener("submit", function () {
    var button = document.getElementById("collect-now");
    var progress = document.getElementById("collect-progress");
    if (button) { button.disabled = true; }
    if (progress) { progress.textContent = "Starting the collection; its progress page opens next."; }
  });
});
