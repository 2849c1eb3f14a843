// Rows of a container arrive when its "Rows" is opened (a big shipment's page stays small).
document.querySelectorAll("details[data-rows]").forEach((box) => {
  box.addEventListener("toggle", async () => {
    if (!box.open || box.dataset.loaded) return;
    box.dataset.loaded = "1";
    const slot = box.querySelector(".rows-slot");
    const answer = await fetch(box.dataset.rows, { credentials: "same-origin" });
    if (answer.ok) slot.innerHTML = await answer.text();
    else slot.insertAdjacentHTML("afterbegin", '<p class="error">The rows could not be loaded.</p>');
  });
});
// A link to an object's "#edit" (a sample's row on the shipment page) opens its edit form.
if (location.hash === "#edit") document.getElementById("edit")?.setAttribute("open", "");
