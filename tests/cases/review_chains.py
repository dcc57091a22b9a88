from langchain_core.prompts import ChatPromptTemplate, PromptTemplate

summary_prompt = PromptTemplate(
    template="Summarise the customer review for the product team.\n\nReview: {review_text}\n\nProduct: {product}\n\nWrite two bullet points.",
    input_variables=["review", "product"],
)

sentiment = ChatPromptTemplate.from_messages(
    [
        ("system", "You label the sentiment of product reviews. Return a JSON object such as {\"label\": \"positive\"}."),
        ("human", "Review: {review_text}"),
    ]
)
