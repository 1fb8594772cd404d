// Placeholder: owned by the seller-pages work (D2). Routed from App.tsx.
export default function ManageProducts() {
  return <h1>Manage products</h1>;
}
