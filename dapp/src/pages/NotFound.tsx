import { Link, useRoute } from "../router.tsx";

export default function NotFound() {
  const { path } = useRoute();
  return (
    <section>
      <h1>Page not found</h1>
      <p>There is no page at {path}.</p>
      <p><Link to="/explore">Explore the catalogue</Link></p>
    </section>
  );
}
