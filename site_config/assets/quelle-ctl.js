// "Quelle CTL pour cette commune ?": looks a commune up by postal code or name in the asset written by
// `generator/quelle_ctl.py`, in the browser (no backend). `normalise` mirrors `generator.places.normalise_name`.
(function () {
  "use strict";
  var ABBREVIATIONS = { st: "saint", ste: "sainte" };
  var LIGATURES = { "œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss" };
  var MAX_PREFIX = 10;

  function normalise(text) {
    var lowered = text.replace(/[œŒæÆß]/g, function (ch) { return LIGATURES[ch]; }).toLowerCase();
    var ascii = lowered.normalize("NFKD").replace(/\p{Mn}/gu, "");
    return ascii
      .split(/[^a-z0-9]+/)
      .filter(Boolean)
      .map(function (word) { return ABBREVIATIONS[word] || word; })
      .join("");
  }

  function index(data) {
    var communes = {}, byName = {}, byPostal = {};
    function add(table, key, insee) {
      (table[key] = table[key] || []).indexOf(insee) < 0 && table[key].push(insee);
    }
    data.communes.forEach(function (row) {
      var commune = { insee: row[0], nom: row[1], codes: row[2].split(" "), territoire: row[3], key: normalise(row[1]) };
      communes[commune.insee] = commune;
      add(byName, commune.key, commune.insee);
      commune.codes.forEach(function (code) { add(byPostal, code, commune.insee); });
    });
    var old = {};
    data.anciennes.forEach(function (row) {
      var key = normalise(row[0]);
      add(byName, key, row[1]);
      if (communes[row[1]].key !== key) {
        old[key + "|" + row[1]] = row[0];
      }
    });
    return { data: data, communes: communes, byName: byName, byPostal: byPostal, old: old };
  }

  function sorted(codes) {
    return codes.slice().sort();
  }

  // [message, [commune, old name or null]…] answering `query`.
  function lookup(db, query) {
    var text = query.trim();
    if (/^\d+$/.test(text.replace(/\s/g, ""))) {
      var code = text.replace(/\s/g, "");
      if (code.length !== 5) {
        return ["Un code postal a cinq chiffres.", []];
      }
      var found = sorted(db.byPostal[code] || []);
      return [found.length ? "Code postal " + code + " :" : "Aucune commune du Nord ni du Pas-de-Calais n'a le code postal " + code + ".",
        found.map(function (insee) { return [db.communes[insee], null]; })];
    }
    var key = normalise(text);
    if (key.length < 2) {
      return ["", []];
    }
    var exact = sorted(db.byName[key] || []);
    if (exact.length) {
      return [exact.length > 1 ? exact.length + " communes portent ce nom :" : "",
        exact.map(function (insee) { return [db.communes[insee], db.old[key + "|" + insee] || null]; })];
    }
    var starts = Object.keys(db.communes).filter(function (insee) {
      return db.communes[insee].key.indexOf(key) === 0;
    }).sort(function (a, b) {
      var ka = db.communes[a].key, kb = db.communes[b].key;
      return ka < kb ? -1 : ka > kb ? 1 : a < b ? -1 : 1;
    });
    if (!starts.length) {
      return ["Aucune commune du Nord ni du Pas-de-Calais ne porte ce nom. Vérifiez l'orthographe, ou tapez le code postal.", []];
    }
    var more = starts.length > MAX_PREFIX ? " (les " + MAX_PREFIX + " premières ; précisez le nom)" : "";
    return [starts.length + " commune(s) commencent par ce nom" + more + " :",
      starts.slice(0, MAX_PREFIX).map(function (insee) { return [db.communes[insee], null]; })];
  }

  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text) {
      node.textContent = text;
    }
    if (className) {
      node.className = className;
    }
    return node;
  }

  function show(db, root, output, answer) {
    var base = root.getAttribute("data-territoires");
    var list = element("ul", "", "partaj-quelle-ctl__liste");
    answer[1].forEach(function (pair) {
      var commune = pair[0], oldName = pair[1];
      var departement = commune.insee.slice(0, 2);
      var item = element("li", "", "partaj-quelle-ctl__commune");
      var title = element("p");
      title.appendChild(element("strong", commune.nom));
      title.appendChild(document.createTextNode(
        " (" + (db.data.departements[departement] || departement) + ", " + departement + ")"
        + (oldName ? " : " + oldName + " est une ancienne commune, aujourd'hui rattachée à " + commune.nom : "")
      ));
      item.appendChild(title);
      var codes = element("p", (commune.codes.length > 1 ? "Codes postaux : " : "Code postal : ") + commune.codes.join(", "));
      item.appendChild(codes);
      var territory = element("p", "Territoire du plan : ");
      if (commune.territoire) {
        var link = element("a", db.data.territoires[commune.territoire] || commune.territoire);
        link.href = base + encodeURIComponent(commune.territoire) + "/";
        territory.appendChild(link);
      } else {
        territory.appendChild(document.createTextNode("aucun territoire du plan n'y est défini"));
      }
      item.appendChild(territory);
      list.appendChild(item);
    });
    output.replaceChildren();
    if (answer[0]) {
      output.appendChild(element("p", answer[0]));
    }
    if (answer[1].length) {
      output.appendChild(list);
    }
  }

  function start() {
    var root = document.getElementById("quelle-ctl");
    if (!root) {
      return;
    }
    var form = root.querySelector("form");
    var input = root.querySelector("input");
    var output = document.getElementById("quelle-ctl-resultats");
    var source = new URL(root.getAttribute("data-source"), window.location.href);
    var db = null, timer = null;
    function answer() {
      if (db) {
        show(db, root, output, lookup(db, input.value));
      }
    }
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      window.clearTimeout(timer);
      answer();
    });
    // Wait for a pause in typing, so that a screen reader is not told about every letter.
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(answer, 250);
    });
    fetch(source.href)
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (data) {
        db = index(data);
        root.setAttribute("data-pret", "");
        if (input.value) {
          answer();
        }
      })
      .catch(function () {
        output.textContent = "La liste des communes n'a pas pu être chargée. Chaque page de territoire liste ses communes.";
      });
  }

  window.PartajQuelleCtl = { normalise: normalise };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
