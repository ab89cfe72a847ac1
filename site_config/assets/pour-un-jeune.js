// "Trouver une solution pour un jeune": ranks the guide's schemes and actions for a profile, in the browser, from
// pour-un-jeune/criteres.json (written by `generator/trouver_page.py`). `evaluate` and `rank` mirror
// `generator.trouver.evaluer` and `generator.trouver.trouver` rule for rule: a table of cases in tests/ checks that
// both give the same answer. Nothing typed here leaves the page; the URL keeps the criteria, never a name.
(function () {
  "use strict";
  var POINTS = { besoin: 3, local: 2, reserve: 2, critere: 1, cible: 2, frais: 1, aVenir: -2 };
  var STATUTS_CIBLES = 3, AGES_CIBLES = 4, NO_LIMIT = 99, FRESH_DAYS = 365;
  var NON_RENSEIGNE = "critère non renseigné — à vérifier";
  // The guide's one normalisation of a commune name (quelle-ctl.js, loaded just before this script).
  var normalise = window.PartajQuelleCtl.normalise;

  function tranche(low, high) {
    if (high !== null && high >= NO_LIMIT) {
      return low !== null ? "dès " + low + " ans, sans limite d'âge" : "sans limite d'âge";
    }
    if (low !== null && high !== null) {
      return "de " + low + " à " + high + " ans";
    }
    return low !== null ? "dès " + low + " ans" : "jusqu'à " + high + " ans";
  }

  function days(a, b) {
    return Math.round((Date.parse(b + "T00:00:00Z") - Date.parse(a + "T00:00:00Z")) / 86400000);
  }

  // Same rules and wording as `generator.trouver.evaluer`; null when a hard rule excludes the sheet.
  function evaluate(offre, profil, data) {
    if (offre.etat === "terminée" || offre.exemple) {
      return null;
    }
    var raisons = [], verifier = [], score = 0;
    var handicap = profil.drapeaux.handicap === true;
    var low = offre.age_min, high = offre.age_max;
    if (handicap && offre.age_max_handicap !== null) {
      high = high === null ? offre.age_max_handicap : Math.max(high, offre.age_max_handicap);
    }
    if (low === null && high === null) {
      verifier.push("Âge : " + NON_RENSEIGNE);
    } else if (profil.age === null) {
      verifier.push("Âge du jeune non renseigné : la fiche s'adresse aux jeunes " + tranche(low, high) + " — à vérifier");
    } else if ((low !== null && profil.age < low) || (high !== null && profil.age > high)) {
      return null;
    } else {
      score += POINTS.critere;
      if (low !== null && high !== null && high - low <= AGES_CIBLES) {
        score += POINTS.cible;
      }
      raisons.push("Âge : " + profil.age + " ans, la fiche s'adresse aux jeunes " + tranche(low, high));
    }
    var criteria = [["statuts", "Statut", profil.statut], ["niveaux", "Niveau", profil.niveau]];
    for (var i = 0; i < criteria.length; i++) {
      var key = criteria[i][0], label = criteria[i][1], value = criteria[i][2], listed = offre[key];
      if (!listed.length) {
        verifier.push(label + " : " + NON_RENSEIGNE);
      } else if (value === null) {
        verifier.push(label + " du jeune non renseigné — à vérifier");
      } else if (listed.indexOf(value) < 0) {
        return null;
      } else {
        score += POINTS.critere;
        if (key === "statuts" && listed.length <= STATUTS_CIBLES) {
          score += POINTS.cible;
        }
        raisons.push(label + " : " + (data[key][value] || value) + ", prévu par la fiche");
      }
    }
    if (offre.genre === "dispositif") {
      raisons.push("Dispositif national");
    } else if (!offre.territoires.length) {
      verifier.push("Territoire : " + NON_RENSEIGNE);
    } else if (profil.territoire === null) {
      verifier.push("Territoire du jeune non renseigné : l'action est locale — à vérifier");
    } else if (offre.territoires.indexOf(profil.territoire) < 0) {
      return null;
    } else {
      score += POINTS.local;
      raisons.push("Action du territoire : " + (data.territoires[profil.territoire] || profil.territoire));
    }
    for (var j = 0; j < offre.reserve_a.length; j++) {
      var flag = offre.reserve_a[j], meets = profil.drapeaux[flag];
      var who = data.drapeaux[flag] || flag;
      if (meets === false) {
        return null;
      }
      if (meets === undefined || meets === null) {
        verifier.push("Réservé aux " + who + " — à vérifier");
      } else {
        score += POINTS.reserve;
        raisons.push("Réservé aux " + who + " : c'est le cas");
      }
    }
    profil.besoins.forEach(function (besoin) {
      if (offre.thematiques.indexOf(besoin) >= 0) {
        score += POINTS.besoin;
        raisons.push("Répond au besoin : " + (data.thematiques[besoin] || besoin));
      }
    });
    if (offre.etat === "à venir") {
      score += POINTS.aVenir;
      verifier.push("Action à venir (début le " + offre.debut + ") — à vérifier");
    }
    if (days(offre.date_maj, data.date) <= FRESH_DAYS) {
      score += POINTS.frais;
    } else {
      verifier.push("Fiche vérifiée le " + offre.date_maj + ", il y a plus de 12 mois — à vérifier");
    }
    return { id: offre.id, genre: offre.genre, nom: offre.nom, url: offre.url, score: score, tri: offre.tri, raisons: raisons, a_verifier: verifier };
  }

  // Best first: score, then actions before schemes, then the name's sort key, then the id.
  function rank(data, profil) {
    var found = [];
    data.offres.forEach(function (offre) {
      var result = evaluate(offre, profil, data);
      if (result) {
        found.push(result);
      }
    });
    return found.sort(function (a, b) {
      if (a.score !== b.score) {
        return b.score - a.score;
      }
      var ga = a.genre !== "fiche" ? 1 : 0, gb = b.genre !== "fiche" ? 1 : 0;
      if (ga !== gb) {
        return ga - gb;
      }
      if (a.tri !== b.tri) {
        return a.tri < b.tri ? -1 : 1;
      }
      return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    });
  }

  // The profile a URL's criteria describe: age, statut, niveau, commune (INSEE) or territoire, besoin…, flags.
  function profileOf(params, data, places) {
    var age = params.get("age");
    var parsed = age !== null && /^\d{1,2}$/.test(age.trim()) ? parseInt(age, 10) : null;
    var statut = params.get("statut"), niveau = params.get("niveau");
    var territoire = params.get("territoire") || null;
    var commune = params.get("commune");
    if (!territoire && commune && places && places.communes[commune]) {
      territoire = places.communes[commune].territoire || null;
    }
    var flags = {};
    Object.keys(data.drapeaux).forEach(function (flag) {
      var value = params.get(flag);
      if (value === "oui" || value === "non") {
        flags[flag] = value === "oui";
      }
    });
    var besoins = [];
    params.getAll("besoin").forEach(function (besoin) {
      if (data.thematiques[besoin] && besoins.indexOf(besoin) < 0) {
        besoins.push(besoin);
      }
    });
    return {
      age: parsed,
      statut: statut && data.statuts[statut] ? statut : null,
      niveau: niveau && data.niveaux[niveau] ? niveau : null,
      territoire: territoire && data.territoires[territoire] ? territoire : null,
      besoins: besoins,
      drapeaux: flags
    };
  }

  function indexPlaces(raw) {
    var communes = {}, byName = {}, byPostal = {};
    raw.communes.forEach(function (row) {
      var commune = { insee: row[0], nom: row[1], codes: row[2].split(" "), territoire: row[3] };
      communes[commune.insee] = commune;
      (byName[normalise(commune.nom)] = byName[normalise(commune.nom)] || []).push(commune.insee);
      commune.codes.forEach(function (code) { (byPostal[code] = byPostal[code] || []).push(commune.insee); });
    });
    raw.anciennes.forEach(function (row) {
      var key = normalise(row[0]);
      if ((byName[key] = byName[key] || []).indexOf(row[1]) < 0) {
        byName[key].push(row[1]);
      }
    });
    return { communes: communes, byName: byName, byPostal: byPostal, territoires: raw.territoires };
  }

  // [INSEE code or null, territory or null, message]: one commune, or the one territory shared by every commune
  // of a postal code.
  function locate(places, typed) {
    var text = typed.trim();
    if (!text) {
      return [null, null, ""];
    }
    // Five digits are a postal code first, else a commune's INSEE code (the URL's `commune`).
    var codes = /^\d{5}$/.test(text) ? (places.byPostal[text] || []) : (places.byName[normalise(text)] || []);
    if (!codes.length && places.communes[text]) {
      codes = [text];
    }
    if (!codes.length) {
      return [null, null, "Commune inconnue dans le Nord et le Pas-de-Calais : choisissez le territoire ci-dessous, ou laissez « Je ne sais pas »."];
    }
    var territories = {};
    codes.forEach(function (insee) { territories[places.communes[insee].territoire] = true; });
    var keys = Object.keys(territories);
    if (keys.length > 1) {
      return [null, null, codes.length + " communes correspondent, dans des territoires différents : précisez la commune ou choisissez le territoire."];
    }
    var name = places.territoires[keys[0]] || "aucun";
    if (codes.length > 1) {
      return [null, keys[0], codes.length + " communes ont ce code postal, toutes du territoire « " + name + " »."];
    }
    var commune = places.communes[codes[0]];
    return [commune.insee, commune.territoire, commune.nom + " : territoire « " + name + " »."];
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

  function show(root, output, results) {
    output.replaceChildren();
    var racine = root.getAttribute("data-racine");
    if (!results.length) {
      var none = element("div", "", "admonition warning");
      none.appendChild(element("p", "Aucun dispositif ni aucune action du guide ne correspond à ces critères."));
      var next = element("p", "Présentez la situation à la cellule technique locale de son territoire : ");
      var link = element("a", "orienter le jeune vers la CTL");
      link.href = "/formulaires/orientation";
      next.appendChild(link);
      next.appendChild(document.createTextNode("."));
      none.appendChild(next);
      output.appendChild(none);
      return;
    }
    output.appendChild(element("h2", results.length + (results.length > 1 ? " solutions possibles" : " solution possible") + ", de la plus adaptée à la moins adaptée", ""));
    var list = element("ol", "", "partaj-pj-liste");
    list.id = "pj-liste";
    results.forEach(function (result) {
      var item = element("li", "", "partaj-pj-resultat");
      item.setAttribute("data-id", result.id);
      var title = element("p", "", "partaj-pj-titre");
      var link = element("a", result.nom);
      link.href = racine + result.url;
      title.appendChild(link);
      title.appendChild(document.createTextNode(result.genre === "dispositif" ? " — dispositif national" : " — action locale"));
      item.appendChild(title);
      if (result.raisons.length) {
        var why = element("ul", "", "partaj-pj-raisons");
        result.raisons.forEach(function (text) { why.appendChild(element("li", text)); });
        item.appendChild(element("p", "Pourquoi :", "partaj-pj-sous-titre"));
        item.appendChild(why);
      }
      if (result.a_verifier.length) {
        var check = element("ul", "", "partaj-pj-verifier");
        result.a_verifier.forEach(function (text) { check.appendChild(element("li", text)); });
        item.appendChild(element("p", "À vérifier :", "partaj-pj-sous-titre"));
        item.appendChild(check);
      }
      list.appendChild(item);
    });
    output.appendChild(list);
  }

  function fillForm(form, params, places) {
    ["age", "statut", "niveau", "territoire"].forEach(function (name) {
      if (params.get(name) !== null && form.elements[name]) {
        form.elements[name].value = params.get(name);
      }
    });
    var commune = params.get("commune");
    if (commune && places && places.communes[commune] && form.elements.lieu) {
      form.elements.lieu.value = places.communes[commune].nom;
    }
    params.getAll("besoin").forEach(function (besoin) {
      var box = document.getElementById("pj-besoin-" + besoin);
      if (box) {
        box.checked = true;
      }
    });
    Array.prototype.forEach.call(form.querySelectorAll("input[type=radio]"), function (radio) {
      radio.checked = (params.get(radio.name) || "") === radio.value;
    });
  }

  function paramsOf(form, places, note) {
    var params = new URLSearchParams();
    ["age", "statut", "niveau"].forEach(function (name) {
      var value = form.elements[name].value.trim();
      if (value) {
        params.set(name, value);
      }
    });
    var found = [null, null, ""];
    if (places && form.elements.lieu) {
      found = locate(places, form.elements.lieu.value);
      note.textContent = found[2];
    }
    if (found[0]) {
      params.set("commune", found[0]);
    } else if (found[1]) {
      params.set("territoire", found[1]);
    } else if (form.elements.territoire.value) {
      params.set("territoire", form.elements.territoire.value);
    }
    Array.prototype.forEach.call(form.querySelectorAll("input[name=besoin]:checked"), function (box) {
      params.append("besoin", box.value);
    });
    Array.prototype.forEach.call(form.querySelectorAll("input[type=radio]:checked"), function (radio) {
      if (radio.value) {
        params.set(radio.name, radio.value);
      }
    });
    return params;
  }

  function fetchJson(url) {
    return fetch(url).then(function (response) {
      if (!response.ok) {
        throw new Error(response.status);
      }
      return response.json();
    });
  }

  function start() {
    var root = document.getElementById("pour-un-jeune");
    if (!root) {
      return;
    }
    var form = document.getElementById("pj-formulaire");
    var output = document.getElementById("pj-resultats");
    var note = document.getElementById("pj-commune-resultat") || element("p");
    var communes = root.getAttribute("data-communes");
    Promise.all([
      fetchJson(root.getAttribute("data-source")),
      communes ? fetchJson(communes).then(indexPlaces, function () { return null; }) : Promise.resolve(null)
    ]).then(function (loaded) {
      var data = loaded[0], places = loaded[1];
      var params = new URLSearchParams(window.location.search);
      form.hidden = false;
      fillForm(form, params, places);
      if (Array.from(params.keys()).length) {
        show(root, output, rank(data, profileOf(params, data, places)));
      }
      root.setAttribute("data-pret", "");
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var chosen = paramsOf(form, places, note);
        var query = chosen.toString();
        window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
        show(root, output, rank(data, profileOf(chosen, data, places)));
      });
    }).catch(function () {
      output.textContent = "Les fiches du guide n'ont pas pu être chargées : utilisez la recherche ou les listes par public et par territoire.";
    });
  }

  window.PartajPourUnJeune = { rank: rank, profileOf: profileOf };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
