// Shows a readable message instead of a blank page when a page throws while rendering.
import { Component, type ReactNode } from "react";

export class ErrorBoundary extends Component<{ children: ReactNode }, { error?: Error }> {
  state: { error?: Error } = {};
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  render() {
    if (this.state.error) {
      return (
        <div role="alert" className="notice error">
          <h2>Something went wrong on this page</h2>
          <p>{this.state.error.message}</p>
          <button type="button" onClick={() => this.setState({ error: undefined })}>Try again</button>
        </div>
      );
    }
    return this.props.children;
  }
}
