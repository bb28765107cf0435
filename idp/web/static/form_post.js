// OAuth 2.0 Form Post Response Mode: send the response to the client as soon as the page loads.
document.getElementById("form-post").submit();
