// Completion of the commune field (ARIA 1.2 combobox with a listbox popup, manual selection): type the first
// letters, pick with the arrow keys and Enter, or tap. Without this script the field is a plain text field and
// the server checks the commune just the same. The list comes from /formulaires/communes.json (the communes of the
// covered départements with their postal codes and territory).
(function () {
  "use strict";
  var MAX_OPTIONS = 8;
  // The guide's one normaliser of commune names (quelle-ctl.js, served at /formulaires/quelle-ctl.js and loaded
  // just before this script), which mirrors `generator.places.normalise_name`.
  var normalise = window.PartajQuelleCtl.normalise;

  // One entry per name a person may type: the current communes and the old ones (déléguées, associées).
  function index(data) {
    var communes = {}, entries = [];
    data.communes.forEach(function (row) {
      var commune = { insee: row[0], nom: row[1], codes: row[2].split(" "), territoire: row[3] };
      communes[commune.insee] = commune;
      entries.push({ key: normalise(commune.nom), nom: commune.nom, commune: commune, ancienne: false });
    });
    data.anciennes.forEach(function (row) {
      var commune = communes[row[1]];
      var key = normalise(row[0]);
      if (commune && key !== normalise(commune.nom)) {
        entries.push({ key: key, nom: row[0], commune: commune, ancienne: true });
      }
    });
    entries.sort(function (a, b) { return a.key < b.key ? -1 : a.key > b.key ? 1 : a.commune.insee < b.commune.insee ? -1 : 1; });
    return { data: data, entries: entries };
  }

  function suggestions(db, text, postalCode) {
    var key = normalise(text);
    var found;
    if (key.length) {
      found = db.entries.filter(function (entry) { return entry.key.indexOf(key) === 0; });
    } else if (/^\d{5}$/.test(postalCode)) {
      found = db.entries.filter(function (entry) { return !entry.ancienne && entry.commune.codes.indexOf(postalCode) >= 0; });
    } else {
      return [];
    }
    // The communes of the postal code already typed first, then the exact name, then the alphabet.
    function rank(entry) {
      return (entry.commune.codes.indexOf(postalCode) >= 0 ? 0 : 2) + (entry.key === key ? 0 : 1);
    }
    return found
      .map(function (entry, position) { return [rank(entry), position, entry]; })
      .sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; })
      .map(function (triple) { return triple[2]; });
  }

  function label(db, entry) {
    var departement = entry.commune.insee.slice(0, 2);
    var name = entry.ancienne ? entry.nom + ", aujourd'hui " + entry.commune.nom : entry.nom;
    return name + " — " + entry.commune.codes.join(", ") + " (" + (db.data.departements[departement] || departement) + ")";
  }

  function setUp(input) {
    var form = input.form;
    var hidden = form.querySelector("input[name='commune_insee']");
    var postal = form.querySelector("input[name='code_postal']");
    var territory = form.querySelector("select[name='territoire']");
    var listId = input.id + "-liste";
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "combo__liste";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Communes proposées");
    list.hidden = true;
    var status = document.createElement("p");
    status.className = "visuellement-cache";
    status.setAttribute("role", "status");
    status.id = input.id + "-statut";
    input.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", status);
    var note = null;
    if (territory) {
      note = document.createElement("p");
      note.className = "aide combo__territoire";
      note.id = "champ-territoire-commune";
      note.setAttribute("aria-live", "polite");
      territory.insertAdjacentElement("afterend", note);
    }
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("autocomplete", "off");

    var db = null, shown = [], active = -1, timer = null;

    function announce(text) {
      window.clearTimeout(timer);
      // After a pause in typing: a screen reader is not told about every letter.
      timer = window.setTimeout(function () { status.textContent = text; }, 400);
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(position) {
      var options = list.children;
      if (active >= 0 && options[active]) {
        options[active].setAttribute("aria-selected", "false");
      }
      active = position;
      if (active < 0) {
        input.removeAttribute("aria-activedescendant");
        return;
      }
      options[active].setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", options[active].id);
      options[active].scrollIntoView({ block: "nearest" });
    }

    function open() {
      if (!db) {
        return;
      }
      var found = suggestions(db, input.value, postal ? postal.value.trim() : "");
      shown = found.slice(0, MAX_OPTIONS);
      list.replaceChildren();
      shown.forEach(function (entry, position) {
        var option = document.createElement("li");
        option.id = listId + "-" + position;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.textContent = label(db, entry);
        option.addEventListener("mousedown", function (event) { event.preventDefault(); });
        option.addEventListener("click", function () { choose(position); });
        list.appendChild(option);
      });
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (!shown.length) {
        close();
        if (normalise(input.value).length >= 2) {
          announce("Aucune commune du Nord ni du Pas-de-Calais ne commence ainsi. Si le jeune habite ailleurs, écrivez le nom complet de sa commune.");
        }
        return;
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      var more = found.length > shown.length ? " sur " + found.length + " ; précisez le nom pour réduire la liste" : "";
      announce(shown.length + " commune" + (shown.length > 1 ? "s proposées" : " proposée") + more + ". Flèches haut et bas pour parcourir, Entrée pour choisir.");
    }

    function describeTerritory(commune) {
      if (!note) {
        return;
      }
      var name = commune && commune.territoire ? db.data.territoires[commune.territoire] : "";
      note.textContent = name ? "D'après la commune : " + name + "." : "";
    }

    function choose(position) {
      var entry = shown[position];
      if (!entry) {
        return;
      }
      input.value = entry.nom;
      if (hidden) {
        hidden.value = entry.commune.insee;
      }
      var message = entry.nom + " choisie.";
      if (postal) {
        var code = postal.value.trim();
        if (entry.commune.codes.indexOf(code) < 0) {
          if (entry.commune.codes.length === 1) {
            postal.value = entry.commune.codes[0];
            message += " Code postal " + entry.commune.codes[0] + " rempli.";
          } else {
            message += " Codes postaux possibles : " + entry.commune.codes.join(", ") + ".";
          }
        }
      }
      describeTerritory(entry.commune);
      close();
      status.textContent = message;
    }

    input.addEventListener("input", function () {
      if (hidden) {
        hidden.value = "";
      }
      describeTerritory(null);
      open();
    });
    input.addEventListener("keydown", function (event) {
      var expanded = !list.hidden;
      if (event.key === "ArrowDown" || event.key === "Down") {
        event.preventDefault();
        if (!expanded) {
          open();
          if (event.altKey) {
            return;
          }
        }
        if (shown.length) {
          highlight(active + 1 < shown.length ? active + 1 : 0);
        }
      } else if (event.key === "ArrowUp" || event.key === "Up") {
        if (expanded && shown.length) {
          event.preventDefault();
          highlight(active > 0 ? active - 1 : shown.length - 1);
        }
      } else if (event.key === "Enter") {
        if (expanded && active >= 0) {
          event.preventDefault();
          choose(active);
        }
      } else if (event.key === "Escape" || event.key === "Esc") {
        if (expanded) {
          event.preventDefault();
          close();
        }
      } else if (event.key === "Tab") {
        close();
      }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 150); });

    fetch(input.getAttribute("data-communes"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (data) {
        db = index(data);
        input.setAttribute("data-pret", "");
        if (hidden && hidden.value && input.value) {
          var known = db.entries.filter(function (entry) { return entry.commune.insee === hidden.value; });
          describeTerritory(known.length ? known[0].commune : null);
        }
      })
      .catch(function () {
        // The field stays a plain text field; the server checks the commune.
        input.removeAttribute("role");
        input.removeAttribute("aria-autocomplete");
        input.removeAttribute("aria-expanded");
        input.removeAttribute("aria-controls");
      });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-communes]"), setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
