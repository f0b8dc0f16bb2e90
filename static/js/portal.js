// Progressive enhancement only: every page works without this file.
(function () {
  var button = document.querySelector("[data-locate]");
  if (!button || !("geolocation" in navigator)) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(function (position) {
      document.getElementById("latitude").value = position.coords.latitude.toFixed(6);
      document.getElementById("longitude").value = position.coords.longitude.toFixed(6);
      button.disabled = false;
    }, function () { button.disabled = false; }, { enableHighAccuracy: true, timeout: 10000 });
  });
})();

// Kecamatan first, then only its kelurahan: a second list put before the grouped one.
(function () {
  var picker = document.querySelector("[data-kelurahan-picker]");
  if (!picker) return;
  var select = picker.querySelector("select");
  var groups = Array.prototype.slice.call(select.querySelectorAll("optgroup"));
  var placeholder = select.options[0].cloneNode(true);
  var label = document.createElement("label");
  label.htmlFor = "kecamatan-filter";
  label.textContent = picker.getAttribute("data-kecamatan-label");
  var filter = document.createElement("select");
  filter.id = "kecamatan-filter";
  var all = document.createElement("option");
  all.value = "";
  all.textContent = picker.getAttribute("data-all-label");
  filter.appendChild(all);
  groups.forEach(function (group) {
    var option = document.createElement("option");
    option.value = group.getAttribute("data-kecamatan");
    option.textContent = option.value;
    filter.appendChild(option);
  });
  var chosen = select.selectedOptions[0];
  if (chosen && chosen.parentNode.tagName === "OPTGROUP") filter.value = chosen.parentNode.getAttribute("data-kecamatan");
  var wrapper = document.createElement("div");
  wrapper.className = "field";
  wrapper.appendChild(label);
  wrapper.appendChild(filter);
  picker.parentNode.insertBefore(wrapper, picker);
  filter.addEventListener("change", function () {
    var keep = select.value;
    select.innerHTML = "";
    select.appendChild(placeholder.cloneNode(true));
    groups.forEach(function (group) {
      if (!filter.value || group.getAttribute("data-kecamatan") === filter.value) select.appendChild(group);
    });
    select.value = keep;
    if (select.value !== keep) select.value = "";
  });
})();
