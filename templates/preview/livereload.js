// Live preview (served by `kommunenyt serve` only, never part of a built site): listen for
// rebuilds on a Server-Sent Events stream and reload this tab when its page changed, when
// a stylesheet or image changed, or when the site broke or was mended.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.EventSource) {
    return;
  }
  var params = new URL(script.src).searchParams;
  var generation = Number(params.get("v"));
  var page = params.get("side") || "";
  var showsError = params.get("fejl") === "1";

  function affectsThisPage(changed) {
    if (changed === null) {
      return true;
    }
    return changed.some(function (file) {
      return file === page || !/\.(html|xml|json)$/.test(file);
    });
  }

  var events = new EventSource(new URL("events", script.src).href);
  events.addEventListener("hello", function (event) {
    var state = JSON.parse(event.data);
    if (state.generation !== generation || state.error !== showsError) {
      window.location.reload();
    }
  });
  events.addEventListener("reload", function (event) {
    var state = JSON.parse(event.data);
    if (state.generation <= generation) {
      return;
    }
    if (state.error !== showsError || (!state.error && affectsThisPage(state.changed))) {
      events.close();
      window.location.reload();
      return;
    }
    generation = state.generation;
  });
})();
