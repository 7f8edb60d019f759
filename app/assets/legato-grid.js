/* AG Grid cell renderers of the Legato dashboards (dash-ag-grid looks them up by name in
 * window.dashAgGridComponentFunctions).
 *
 * StoryLink: the story title as a real link to the story's page (row field "href"), so it
 * can be opened in a new tab (middle click, Ctrl/Cmd+click) and read as a link by screen
 * readers. A plain click is left to the grid: its cellClicked event opens the story inside
 * the app (callbacks.stories.open_story), for a click anywhere on the row. */
(function () {
    "use strict";
    var components = (window.dashAgGridComponentFunctions =
        window.dashAgGridComponentFunctions || {});

    components.StoryLink = function (props) {
        var href = props.data && props.data.href;
        if (!href) {
            return props.value == null ? "" : String(props.value);
        }
        return React.createElement(
            "a",
            {
                href: href,
                className: "story-link",
                onClick: function (event) {
                    var modified =
                        event.metaKey || event.ctrlKey || event.shiftKey || event.altKey;
                    if (!modified && event.button === 0) {
                        event.preventDefault();
                    }
                },
            },
            props.value
        );
    };
})();
