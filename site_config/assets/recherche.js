// The "Trouver une solution" page: a search box and filters over the Pagefind index that
// `python -m generator build` writes (generator/search_index.py adds each page's tier, summary, keywords
// and synonyms to it). Results: dispositifs and current local actions first, then ended actions, then the
// other pages, unless much more relevant (see `classer`). The chosen territory is kept in the address and
// in the browser.
(function () {
  "use strict";
  var TERRITOIRE = "territoire";
  var MEMOIRE = "partaj.recherche.territoire";
  var PAR_PAGE = 10;
  // Results read, ranked and filtered by territory: far more than a partner reads.
  var LUS = 60;
  // Fewer results holding every word than this: pages holding part of the words follow them.
  var PEU = 3;
  // What Pagefind's score of a result counts for, by its tier (the `rang` meta written by the generator):
  // dispositifs and current actions, ended actions, other pages.
  var POIDS = [1, 0.7, 0.5];
  var RANG_PAGE = 2;
  // Words that say nothing of a page: on every one of them, they would rank "En bref" headings.
  var MOTS_VIDES = new Set(
    ("a à au aux avec ce ces cet cette d dans de des du en est et il elle je l la le les leur ma mes mon " +
      "ne ni on ou où par pas pour qu que qui sa se ses son sur ta tes ton un une vers y").split(" ")
  );
  var LIBELLES = { territoire: "Territoire", "thématique": "Thématique", public: "Public", volet: "Volet" };
  var TOUS = { territoire: "Tous les territoires" };

  function texte(html) {
    // Filter values are stored as HTML in the index: decoded as text, never run.
    var zone = document.createElement("textarea");
    zone.innerHTML = html;
    return zone.value;
  }

  function element(tag, attributs, contenu) {
    var node = document.createElement(tag);
    Object.keys(attributs || {}).forEach(function (nom) {
      node.setAttribute(nom, attributs[nom]);
    });
    if (contenu !== undefined) {
      node.textContent = contenu;
    }
    return node;
  }

  function termeNettoye(terme) {
    if (/^\s*".+"\s*$/.test(terme)) {
      return terme; // An exact phrase, searched as typed.
    }
    var mots = terme.split(/[\s'’]+/).filter(Boolean);
    var utiles = mots.filter(function (mot) {
      return !MOTS_VIDES.has(mot.toLocaleLowerCase("fr"));
    });
    return (utiles.length ? utiles : mots).join(" ");
  }

  function extrait(html) {
    // Pagefind's excerpt: escaped text with <mark> around the words found.
    var fragment = document.createDocumentFragment();
    html.split(/(<mark>.*?<\/mark>)/).forEach(function (morceau) {
      var marque = /^<mark>(.*)<\/mark>$/.exec(morceau);
      fragment.appendChild(marque ? element("mark", {}, texte(marque[1])) : document.createTextNode(texte(morceau)));
    });
    return fragment;
  }

  // The ranking rule: results (each {score, rang}) by Pagefind's score weighted by their tier, ties in
  // Pagefind's order. Of two results as relevant, the dispositif or current action comes first, then the
  // ended action, then the page; an ended action comes first only when it is far more relevant (named by
  // the query, where the dispositif only mentions its words).
  function classer(resultats) {
    function poids(r) {
      return r.score * (POIDS[r.rang] === undefined ? POIDS[RANG_PAGE] : POIDS[r.rang]);
    }
    return resultats
      .map(function (r, i) { return { r: r, poids: poids(r), ordre: i }; })
      .sort(function (a, b) { return b.poids - a.poids || a.ordre - b.ordre; })
      .map(function (x) { return x.r; });
  }
  window.PartajRecherche = { classer: classer };

  function Recherche(racine, pagefind, filtres) {
    this.racine = racine;
    this.pagefind = pagefind;
    this.sequence = 0;
    this.resultats = [];
    this.montres = 0;
    var params = new URLSearchParams(window.location.search);
    var formulaire = element("form", { role: "search", class: "partaj-recherche__formulaire" });
    formulaire.addEventListener("submit", function (event) {
      event.preventDefault();
    });
    formulaire.appendChild(element("label", { for: "recherche-terme" }, "Rechercher une action ou un dispositif"));
    this.champ = element("input", {
      id: "recherche-terme",
      type: "search",
      autocomplete: "off",
      placeholder: "Rechercher une action, un dispositif…",
    });
    this.champ.value = params.get("q") || "";
    formulaire.appendChild(this.champ);
    var zone = element("div", { class: "partaj-recherche__filtres" });
    this.selects = {};
    var noms = Object.keys(filtres).sort(function (a, b) {
      return (a === TERRITOIRE ? 0 : 1) - (b === TERRITOIRE ? 0 : 1);
    });
    noms.forEach(function (nom) {
      var id = "recherche-filtre-" + nom.normalize("NFD").replace(/[^a-z]/g, "");
      var bloc = element("div", { class: "partaj-recherche__filtre" });
      bloc.appendChild(element("label", { for: id }, LIBELLES[nom] || nom.charAt(0).toUpperCase() + nom.slice(1)));
      var select = element("select", { id: id, name: nom });
      select.appendChild(element("option", { value: "" }, TOUS[nom] || "Tous"));
      Object.keys(filtres[nom])
        .sort(function (a, b) {
          return texte(a).localeCompare(texte(b), "fr");
        })
        .forEach(function (valeur) {
          var option = element("option", {}, texte(valeur));
          option.value = valeur;
          select.appendChild(option);
        });
      bloc.appendChild(select);
      zone.appendChild(bloc);
      this.selects[nom] = select;
    }, this);
    formulaire.appendChild(zone);
    this.territoireChoisi = element("p", { class: "partaj-recherche__territoire", hidden: "" });
    this.effacer = element("button", { type: "button", class: "md-button partaj-recherche__effacer" }, "Effacer le territoire");
    this.territoireChoisi.appendChild(element("span"));
    this.territoireChoisi.appendChild(document.createTextNode(" "));
    this.territoireChoisi.appendChild(this.effacer);
    formulaire.appendChild(this.territoireChoisi);
    racine.appendChild(formulaire);
    this.message = element("p", { class: "partaj-recherche__message", role: "status" });
    this.liste = element("ol", { class: "partaj-recherche__resultats" });
    this.plus = element("button", { type: "button", class: "md-button partaj-recherche__plus", hidden: "" }, "Afficher plus de résultats");
    racine.appendChild(this.message);
    racine.appendChild(this.liste);
    racine.appendChild(this.plus);

    this.choisir(params);
    var self = this;
    var attente = null;
    this.champ.addEventListener("input", function () {
      window.clearTimeout(attente);
      attente = window.setTimeout(function () {
        self.chercher();
      }, 150);
    });
    Object.keys(this.selects).forEach(function (nom) {
      self.selects[nom].addEventListener("change", function () {
        self.chercher();
      });
    });
    this.effacer.addEventListener("click", function () {
      self.selects[TERRITOIRE].value = "";
      self.chercher();
      self.selects[TERRITOIRE].focus();
    });
    this.plus.addEventListener("click", function () {
      self.montrer(self.montres + PAR_PAGE);
    });
    this.chercher();
  }

  Recherche.prototype.choisir = function (params) {
    // The address wins over the territory remembered from an earlier visit.
    var memoire = null;
    try {
      memoire = window.localStorage.getItem(MEMOIRE);
    } catch (erreur) {
      memoire = null;
    }
    Object.keys(this.selects).forEach(function (nom) {
      var select = this.selects[nom];
      var voulu = params.get(nom) || (nom === TERRITOIRE ? memoire : null);
      if (voulu && Array.prototype.some.call(select.options, function (o) { return o.value === voulu; })) {
        select.value = voulu;
      }
    }, this);
  };

  // The filters go in the address (a search can be bookmarked or sent), the words typed do not: a partner may
  // type a young person's name, and personal data never go in addresses.
  Recherche.prototype.memoriser = function () {
    var params = new URLSearchParams();
    Object.keys(this.selects).forEach(function (nom) {
      if (this.selects[nom].value) {
        params.set(nom, this.selects[nom].value);
      }
    }, this);
    var adresse = window.location.pathname + (params.toString() ? "?" + params.toString() : "");
    window.history.replaceState(null, "", adresse);
    var territoire = this.territoire();
    try {
      if (territoire) {
        window.localStorage.setItem(MEMOIRE, territoire);
      } else {
        window.localStorage.removeItem(MEMOIRE);
      }
    } catch (erreur) {
      // Private browsing without storage: the address still carries the territory.
    }
    this.territoireChoisi.hidden = !territoire;
    this.territoireChoisi.firstChild.textContent = territoire ? "Territoire retenu : " + texte(territoire) + "." : "";
  };

  Recherche.prototype.territoire = function () {
    return this.selects[TERRITOIRE] ? this.selects[TERRITOIRE].value : "";
  };

  Recherche.prototype.chercher = async function () {
    var numero = ++this.sequence;
    var terme = this.champ.value.trim();
    var territoire = this.territoire();
    var filtres = {};
    Object.keys(this.selects).forEach(function (nom) {
      if (nom !== TERRITOIRE && this.selects[nom].value) {
        filtres[nom] = this.selects[nom].value;
      }
    }, this);
    this.memoriser();
    if (!terme && !territoire && !Object.keys(filtres).length) {
      this.afficher(numero, terme, []);
      return;
    }
    var nettoye = terme ? termeNettoye(terme) : null;
    var complets = (await this.pagefind.search(nettoye, { filters: filtres })).results.slice(0, LUS);
    var partiels = [];
    if (complets.length < PEU && nettoye && nettoye.indexOf(" ") > 0) {
      var vus = new Set(complets.map(function (r) { return r.id; }));
      partiels = (await this.motParMot(nettoye, filtres, vus)).slice(0, LUS - complets.length);
    }
    var lus = await Promise.all([complets, partiels].map(function (liste) { return lire(liste, territoire); }));
    if (numero !== this.sequence) {
      return;
    }
    this.afficher(numero, terme, classer(lus[0]).concat(classer(lus[1])), lus[1].length > 0);
  };

  // The results with their data, but another territory's sheets (pages without territory stay).
  async function lire(liste, territoire) {
    var donnees = await Promise.all(liste.map(function (r) { return r.data(); }));
    return liste
      .map(function (r, i) {
        var rang = Number(donnees[i].meta.rang);
        return { score: r.score, rang: isNaN(rang) ? RANG_PAGE : rang, data: donnees[i] };
      })
      .filter(function (r) {
        var territoires = r.data.filters[TERRITOIRE];
        return !territoire || !territoires || territoires.indexOf(territoire) >= 0;
      });
  }

  // Few or no pages hold every word (« e2c valenciennes », a word found nowhere such as « euros »): the other
  // pages holding most of the words, by the sum of their scores.
  Recherche.prototype.motParMot = async function (terme, filtres, vus) {
    var pagefind = this.pagefind;
    var reponses = await Promise.all(
      terme.split(" ").map(function (mot) { return pagefind.search(mot, { filters: filtres }); })
    );
    var parPage = new Map();
    reponses.forEach(function (reponse) {
      reponse.results.forEach(function (r) {
        if (vus.has(r.id)) {
          return;
        }
        var vu = parPage.get(r.id) || { id: r.id, data: r.data, mots: 0, score: 0 };
        vu.mots += 1;
        vu.score += r.score;
        parPage.set(r.id, vu);
      });
    });
    var plus = Math.max.apply(null, [0].concat(Array.from(parPage.values(), function (v) { return v.mots; })));
    return Array.from(parPage.values())
      .filter(function (v) { return v.mots === plus; })
      .sort(function (a, b) { return b.score - a.score; });
  };

  Recherche.prototype.afficher = function (numero, terme, resultats, partiel) {
    this.resultats = resultats;
    this.liste.replaceChildren();
    this.montres = 0;
    var n = resultats.length;
    var pour = terme ? " pour « " + terme + " »" : "";
    var territoire = this.territoire();
    var ou = territoire ? " — " + texte(territoire) : "";
    this.message.textContent = terme || territoire || n
      ? (n ? n + (n > 1 ? " résultats" : " résultat") : "Aucun résultat") + pour + ou +
        (partiel ? " (dont des pages qui contiennent une partie des mots)" : "")
      : "";
    this.montrer(PAR_PAGE);
    this.racine.dataset.terme = terme;
    this.racine.dataset.numero = String(numero);
  };

  Recherche.prototype.montrer = function (jusque) {
    this.resultats.slice(this.montres, jusque).forEach(function (r) {
      var d = r.data;
      var item = element("li", { class: "partaj-recherche__resultat" });
      var titre = element("p", { class: "partaj-recherche__titre" });
      titre.appendChild(element("a", { href: d.url, class: "partaj-recherche__lien" }, d.meta.title || d.url));
      item.appendChild(titre);
      var nature = (d.filters.nature || []).map(texte);
      var etat = (d.filters["état"] || []).map(texte);
      if (nature.length || etat.length) {
        item.appendChild(element("p", { class: "partaj-recherche__nature" }, nature.concat(etat).join(" · ")));
      }
      var resume = element("p", { class: "partaj-recherche__extrait" });
      if (d.meta.resume) {
        resume.textContent = d.meta.resume;
      } else {
        resume.appendChild(extrait(d.excerpt));
      }
      item.appendChild(resume);
      this.liste.appendChild(item);
    }, this);
    this.montres = Math.min(jusque, this.resultats.length);
    this.plus.hidden = this.montres >= this.resultats.length;
  };

  async function demarrer() {
    var racine = document.getElementById("recherche");
    if (!racine) {
      return;
    }
    var script = document.querySelector('script[src$="recherche.js"]');
    var base = new URL("../../pagefind/", script ? script.src : window.location.href);
    try {
      var pagefind = await import(base.href + "pagefind.js");
      // Result links relative to the site's root, wherever the guide is served from.
      await pagefind.options({ bundlePath: base.pathname, baseUrl: new URL("../", base).pathname });
      await pagefind.init();
      new Recherche(racine, pagefind, await pagefind.filters());
    } catch (erreur) {
      racine.appendChild(
        element("p", { role: "alert" }, "La recherche n'a pas pu se charger : parcourez le guide par territoire ou par thématique.")
      );
      throw erreur;
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", demarrer);
  } else {
    demarrer();
  }
})();
