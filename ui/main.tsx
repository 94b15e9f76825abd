import "uplot/dist/uPlot.min.css";
import { render } from "preact";
import { App } from "./components/app.tsx";

const root = document.getElementById("app");
if (root) {
  root.textContent = "";
  render(<App />, root);
}
